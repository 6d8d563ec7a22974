%% Erlang/OTP side of the Midflight side-by-side benchmark.
%%
%% `swift run -c release midflight-benchmarks` compiles and runs it beside ours (see
%% docs/benchmarks.md). By hand (SCALE is optional, default 1; it multiplies every count):
%%   erlc -o DIR midflight_otp_bench.erl &&
%%   erl -noshell -pa DIR -run midflight_otp_bench main 1 -s init stop
%%
%% Output: one machine-readable line per figure, times in integer nanoseconds:
%%   otp <key> median=<ns> p99=<ns> max=<ns> n=<count>
%%   otp <key> bytes=<n>          otp <key> kb=<n>
%%   otp error <key> <reason>     (a failed figure; the run goes on)
%% Statistics: samples sorted ascending, median = s[n div 2], p99 = s[n*99 div 100]
%% (0-based), max = s[n-1].
%%
%% The hot-swapped module `mf_pulse` exists in two genuinely different versions (v1: rate
%% as integer pulses/s and window in s; v2: rate as float pulses/min, window in ms, plus an
%% upgraded_at field). Both are generated from source below and compiled in memory with
%% compile:forms/2; each swap loads the other version's binary with code:load_binary/3 and
%% converts the state with code_change/3 (up: OldVsn = 1, down: {down, 2}).
%%
%% Keys:
%%   clock_overhead        two back-to-back erlang:monotonic_time(nanosecond) calls
%%   swap_change_only      v_other loaded with code:load_binary just before (untimed), then
%%                         timed: sys:suspend -> sys:change_code -> sys:resume
%%                         ("with freshly loaded code"); old code soft-purged afterwards
%%   swap_pause            timed: suspend -> code:load_binary -> change_code -> resume
%%                         (release_handler order: the process is suspended during the load)
%%   swap_full             timed: suspend -> load_binary -> change_code -> resume -> soft_purge
%%   swap_100              100 servers: suspend all -> load_binary once -> change_code all ->
%%                         resume all (soft_purge after, untimed); one sample per round
%%   swap_100_change_only  the same with the code loaded just before (untimed), as
%%                         swap_change_only: suspend all -> change_code all -> resume all
%%   restart               exit(Worker, kill) -> restarted registered worker answers a call
%%   msg_roundtrip         anchor: raw send/receive round trip to a plain process
%%   call_trivial          gen_server:call round trip, timed individually (clock included)
%%   call_trivial_batched  per-call mean of batches of 1000 calls (no clock in the loop)
%%   call_tick             call whose handler does 2 calls to an I2C-bus gen_server (7 bytes
%%                         from 0x00, status 0x0F of a DS3231) and decodes the 7 BCD bytes
%%   start_100             supervisor:start_link with 100 children until all answer a call
%%   mem_per_server        process_info(memory) of one idle server
%%   rss_bare / rss_harness_0 / rss_100   VmRSS of fresh VMs (median of 3): plain
%%                         `erl -noshell`; this module's child_rss with 0; with 100 servers
%%   soak_pause / soak     10000 swap_pause swaps while a sender casts numbered events
%% Every swap is validated outside the timed window (version, count, rate, window survive).
-module(midflight_otp_bench).

-export([main/0, main/1, child_rss/1]).
%% gen_server/supervisor callbacks of the helper processes (I2C bus, RTC service, supervisors).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2, terminate/2, code_change/3]).

-define(M, mf_pulse).
-define(NOW(), erlang:monotonic_time(nanosecond)).
-define(SYS_TIMEOUT, 30000).
-define(STEP_TIMEOUT, 180000).
-define(RTC_ADDR, 16#68).

%%====================================================================================
%% Entry
%%====================================================================================

main() -> main([]).

main(Args) ->
    Scale = parse_scale(Args),
    Watchdog = spawn(fun() ->
                             receive cancel -> ok
                             after 900000 ->
                                     io:format("otp error watchdog run_exceeded_900s~n"),
                                     erlang:halt(3)
                             end
                     end),
    try run(Scale)
    catch C:R:St -> err(main, {C, R, St})
    end,
    Watchdog ! cancel,
    ok.

parse_scale([]) -> 1.0;
parse_scale([A | _]) when is_atom(A) -> parse_scale([atom_to_list(A)]);
parse_scale([N | _]) when is_number(N), N > 0 -> float(N);
parse_scale([S | _]) when is_list(S) ->
    Parsed = try list_to_float(S)
             catch _:_ ->
                     try float(list_to_integer(S)) catch _:_ -> bad end
             end,
    case Parsed of
        F when is_float(F), F > 0 -> F;
        _ -> err(scale, {bad_scale, S}), 1.0
    end;
parse_scale(_) -> 1.0.

run(Scale) ->
    persistent_term:put({?MODULE, scale}, Scale),
    print_version(),
    io:format("otp config schedulers=~b scale=~s clock=~s~n",
              [erlang:system_info(schedulers_online), float_to_list(Scale, [{decimals, 3}, compact]),
               clock_name()]),
    step(modules, fun prepare_modules/0),
    step(clock_overhead, fun() -> clock_overhead(n(200000)) end),
    step(swap_change_only, fun() -> swap_single(swap_change_only, change_only, n(2000)) end),
    step(swap_pause, fun() -> swap_single(swap_pause, pause, n(2000)) end),
    step(swap_full, fun() -> swap_single(swap_full, full, n(2000)) end),
    step(swap_100, fun() -> swap_many(swap_100, pause, 100, n(200)) end),
    step(swap_100_change_only, fun() -> swap_many(swap_100_change_only, change_only, 100, n(200)) end),
    step(restart, fun() -> restart_bench(n(2000)) end),
    step(msg_roundtrip, fun() -> msg_roundtrip(n(100000)) end),
    step(call_trivial, fun() -> call_trivial(n(100000), n(200)) end),
    step(call_tick, fun() -> call_tick(n(20000)) end),
    step(start_100, fun() -> start_100(max(5, n(20))) end),
    step(footprint, fun footprint/0),
    step(soak, fun() -> soak(n(10000)) end),
    ok.

n(Base) -> max(1, round(Base * persistent_term:get({?MODULE, scale}, 1.0))).

print_version() ->
    Rel = erlang:system_info(otp_release),
    File = filename:join([code:root_dir(), "releases", Rel, "OTP_VERSION"]),
    Full = case file:read_file(File) of
               {ok, B} -> string:trim(binary_to_list(B));
               _ -> Rel
           end,
    io:format("otp version=~s erts=~s~n", [Full, erlang:system_info(version)]).

clock_name() ->
    Info = erlang:system_info(os_monotonic_time_source),
    case proplists:get_value(clock_id, Info) of
        undefined -> "unknown";
        Id -> atom_to_list(Id)
    end.

%%====================================================================================
%% Step runner: each figure runs in its own process, with a timeout; a failure prints
%% `otp error <key> <reason>` and the run continues. The step process always exits with
%% `shutdown`, which takes down whatever it linked to (servers, supervisors).
%%====================================================================================

step(Key, Fun) ->
    Parent = self(),
    Ref = make_ref(),
    {Pid, MRef} =
        spawn_monitor(fun() ->
                              Result = try inject_failure(Key), Fun(), ok
                                       catch C:R:St -> {failed, {C, R, St}}
                                       end,
                              Parent ! {Ref, Result},
                              exit(shutdown)
                      end),
    receive
        {Ref, ok} -> ok;
        {Ref, {failed, Reason}} -> err(Key, Reason);
        {'DOWN', MRef, process, Pid, Reason} -> err(Key, {died, Reason})
    after ?STEP_TIMEOUT ->
            exit(Pid, kill),
            err(Key, step_timeout)
    end,
    receive {'DOWN', MRef, process, Pid, _} -> ok after 5000 -> ok end,
    receive {Ref, _} -> ok after 0 -> ok end,
    %% Never leave the module with unpurged old code for the next step.
    catch code:soft_purge(?M),
    ok.

%% OTP_BENCH_FAIL=<key> makes that figure fail on purpose (to test the error path).
inject_failure(Key) ->
    case os:getenv("OTP_BENCH_FAIL") =:= atom_to_list(Key) of
        true -> error(injected_failure);
        false -> ok
    end.

err(Key, Reason) ->
    Text = lists:flatten(io_lib:format("~0P", [Reason, 30])),
    Clean = [case C of $\n -> $\s; $\r -> $\s; _ -> C end || C <- Text],
    io:format("otp error ~s ~s~n", [Key, lists:sublist(Clean, 400)]).

report(Key, Samples) ->
    T = list_to_tuple(lists:sort([round(S) || S <- Samples])),
    N = tuple_size(T),
    Med = element(N div 2 + 1, T),
    P99 = element(min(N - 1, N * 99 div 100) + 1, T),
    Max = element(N, T),
    io:format("otp ~s median=~b p99=~b max=~b n=~b~n", [Key, Med, P99, Max, N]).

%%====================================================================================
%% The two versions of mf_pulse (same module name, different code and state layout)
%%====================================================================================

common_src() -> "
start_link() -> gen_server:start_link(mf_pulse, [], []).
start_link(Name) -> gen_server:start_link({local, Name}, mf_pulse, [], []).
handle_info(_Msg, S) -> {noreply, S}.
terminate(_Reason, _S) -> ok.
".

v1_src() -> "
-module(mf_pulse).
-vsn(1).
-export([start_link/0, start_link/1, init/1, handle_call/3, handle_cast/2, handle_info/2,
         terminate/2, code_change/3]).
%% v1: rate in pulses per second (integer), window in seconds.
-record(state, {count = 0, last_ts = 0, rate = 0, window = 60, version = 1}).
init([]) -> {ok, #state{}}.
handle_call(ping, _From, S) -> {reply, pong, S};
handle_call(get_count, _From, S) -> {reply, S#state.count, S};
handle_call(get_last, _From, S) -> {reply, S#state.last_ts, S};
handle_call(get_rate, _From, S) -> {reply, S#state.rate, S};
handle_call({set_rate, Hz}, _From, S) when is_integer(Hz) -> {reply, ok, S#state{rate = Hz}};
handle_call(get_window_s, _From, S) -> {reply, S#state.window, S};
handle_call(get_vsn, _From, S) -> {reply, {1, S#state.version}, S};
handle_call(_Other, _From, S) -> {reply, {error, unknown_call}, S}.
handle_cast({event, N}, S = #state{count = C}) -> {noreply, S#state{count = C + 1, last_ts = N}};
handle_cast(_Other, S) -> {noreply, S}.
%% Downgrade from v2: float pulses/min -> integer pulses/s, window ms -> s, drop upgraded_at.
code_change({down, 2}, {state, C, T, PerMin, WindowMs, 2, _UpgradedAt}, _Extra) ->
    {ok, #state{count = C, last_ts = T, rate = round(PerMin / 60), window = WindowMs div 1000,
                version = 1}};
code_change(_OldVsn, S = #state{}, _Extra) -> {ok, S}.
" ++ common_src().

v2_src() -> "
-module(mf_pulse).
-vsn(2).
-export([start_link/0, start_link/1, init/1, handle_call/3, handle_cast/2, handle_info/2,
         terminate/2, code_change/3]).
%% v2: rate in pulses per minute (float), window in milliseconds, and an added field.
-record(state, {count = 0, last_ts = 0, rate_per_min = 0.0, window_ms = 60000, version = 2,
                upgraded_at = undefined}).
init([]) -> {ok, #state{}}.
handle_call(ping, _From, S) -> {reply, pong, S};
handle_call(get_count, _From, S) -> {reply, S#state.count, S};
handle_call(get_last, _From, S) -> {reply, S#state.last_ts, S};
handle_call(get_rate, _From, S) -> {reply, round(S#state.rate_per_min / 60), S};
handle_call({set_rate, Hz}, _From, S) when is_integer(Hz) ->
    {reply, ok, S#state{rate_per_min = Hz * 60.0}};
handle_call(get_window_s, _From, S) -> {reply, S#state.window_ms div 1000, S};
handle_call(get_vsn, _From, S) -> {reply, {2, S#state.version}, S};
handle_call(_Other, _From, S) -> {reply, {error, unknown_call}, S}.
handle_cast({event, N}, S = #state{count = C}) -> {noreply, S#state{count = C + 1, last_ts = N}};
handle_cast(_Other, S) -> {noreply, S}.
%% Upgrade from v1: integer pulses/s -> float pulses/min, window s -> ms, add upgraded_at.
code_change(1, {state, C, T, Hz, Window, 1}, _Extra) when is_integer(Hz) ->
    {ok, #state{count = C, last_ts = T, rate_per_min = Hz * 60.0, window_ms = Window * 1000,
                version = 2, upgraded_at = erlang:monotonic_time()}};
code_change(_OldVsn, S = #state{}, _Extra) -> {ok, S}.
" ++ common_src().

compile_src(Src) ->
    {ok, Tokens, _} = erl_scan:string(Src, 1),
    Forms = [begin {ok, F} = erl_parse:parse_form(Ts), F end || Ts <- split_forms(Tokens, [], [])],
    case compile:forms(Forms, [binary, return_errors]) of
        {ok, ?M, Bin} -> Bin;
        Other -> error({compile_failed, Other})
    end.

split_forms([], [], Acc) -> lists:reverse(Acc);
split_forms([], Cur, Acc) -> lists:reverse([lists:reverse(Cur) | Acc]);
split_forms([T = {dot, _} | Rest], Cur, Acc) -> split_forms(Rest, [], [lists:reverse([T | Cur]) | Acc]);
split_forms([T | Rest], Cur, Acc) -> split_forms(Rest, [T | Cur], Acc).

prepare_modules() ->
    B1 = compile_src(v1_src()),
    B2 = compile_src(v2_src()),
    true = B1 =/= B2,
    persistent_term:put({?MODULE, bin, 1}, B1),
    persistent_term:put({?MODULE, bin, 2}, B2),
    io:format("otp beam_v1 bytes=~b~notp beam_v2 bytes=~b~n", [byte_size(B1), byte_size(B2)]),
    %% Start from a clean slate: v1 current, no old code.
    _ = code:soft_purge(?M),
    load(1),
    purge(),
    1 = cur_vsn(),
    %% The footprint children load v1 from disk (so they need no compiler).
    GenDir = gen_dir(),
    ok = filelib:ensure_dir(filename:join(GenDir, "x")),
    ok = file:write_file(filename:join(GenDir, "mf_pulse.beam"), B1),
    ok.

gen_dir() ->
    case code:which(?MODULE) of
        Path when is_list(Path) -> filename:join(filename:dirname(filename:absname(Path)), "gen");
        _ -> filename:join(os:getenv("TMPDIR", "/tmp"), "midflight-otp-gen")
    end.

cur_vsn() ->
    case proplists:get_value(vsn, ?M:module_info(attributes)) of
        [V] -> V;
        V -> error({unexpected_vsn, V})
    end.

other(1) -> 2;
other(2) -> 1.

%% OldVsn argument for sys:change_code/5 when going From -> To.
change_arg(1, 2) -> 1;
change_arg(2, 1) -> {down, 2}.

bin(V) -> persistent_term:get({?MODULE, bin, V}).

beam_name(1) -> "mf_pulse_v1.beam";
beam_name(2) -> "mf_pulse_v2.beam".

load(V) -> load(V, bin(V), beam_name(V)).

load(V, Bin, File) ->
    case code:load_binary(?M, File, Bin) of
        {module, ?M} -> ok;
        {error, not_purged} ->
            %% Old code still around (should not happen: every swap purges); purge and retry.
            purge(),
            {module, ?M} = code:load_binary(?M, File, Bin),
            ok;
        Other -> error({load_binary, V, Other})
    end.

%% soft_purge only removes the old code if no process still runs it; our gen_servers never
%% do (they run gen_server code and only call into mf_pulse), so it must succeed.
purge() ->
    case code:soft_purge(?M) of
        true -> ok;
        false -> error(soft_purge_refused_process_in_old_code)
    end.

%%====================================================================================
%% Clock
%%====================================================================================

clock_overhead(N) ->
    _ = clock_loop(10000, []),
    report(clock_overhead, clock_loop(N, [])).

clock_loop(0, Acc) -> Acc;
clock_loop(K, Acc) ->
    T0 = ?NOW(),
    T1 = ?NOW(),
    clock_loop(K - 1, [T1 - T0 | Acc]).

%%====================================================================================
%% 1. Single gen_server hot swap, three variants
%%   change_only: load_binary (untimed, right before) | suspend, change_code, resume
%%   pause:       suspend, load_binary, change_code, resume     (release_handler order)
%%   full:        suspend, load_binary, change_code, resume, soft_purge
%%====================================================================================

swap_single(Key, Variant, N) ->
    {ok, P} = ?M:start_link(),
    ok = gen_server:call(P, {set_rate, 7}),
    _ = swap_rounds(Variant, [P], 50, 0, []),
    Samples = swap_rounds(Variant, [P], N, 0, []),
    report(Key, Samples),
    stop_proc(P).

swap_rounds(_Variant, _Pids, 0, _I, Acc) -> Acc;
swap_rounds(Variant, Pids, K, I, Acc) ->
    Before = [{P, gen_server:call(P, get_count), gen_server:call(P, get_rate)} || P <- Pids],
    From = cur_vsn(),
    To = other(From),
    Dt = swap_once(Variant, Pids, From, To),
    check_after_swap(Before, To),
    %% Mutate the state before the next swap so every conversion carries fresh values.
    Rate = 1 + (I rem 997),
    lists:foreach(fun(P) ->
                          ok = gen_server:call(P, {set_rate, Rate}),
                          gen_server:cast(P, {event, I})
                  end, Pids),
    swap_rounds(Variant, Pids, K - 1, I + 1, [Dt | Acc]).

swap_once(Variant, Pids, From, To) ->
    Arg = change_arg(From, To),
    Bin = bin(To),
    File = beam_name(To),
    case Variant of
        change_only ->
            ok = load(To, Bin, File),
            T0 = ?NOW(),
            suspend_all(Pids),
            change_all(Pids, Arg),
            resume_all(Pids),
            T1 = ?NOW(),
            purge(),
            T1 - T0;
        pause ->
            T0 = ?NOW(),
            suspend_all(Pids),
            ok = load(To, Bin, File),
            change_all(Pids, Arg),
            resume_all(Pids),
            T1 = ?NOW(),
            purge(),
            T1 - T0;
        full ->
            T0 = ?NOW(),
            suspend_all(Pids),
            ok = load(To, Bin, File),
            change_all(Pids, Arg),
            resume_all(Pids),
            purge(),
            T1 = ?NOW(),
            T1 - T0
    end.

suspend_all(Pids) -> lists:foreach(fun(P) -> ok = sys:suspend(P, ?SYS_TIMEOUT) end, Pids).
resume_all(Pids) -> lists:foreach(fun(P) -> ok = sys:resume(P, ?SYS_TIMEOUT) end, Pids).
change_all(Pids, Arg) ->
    lists:foreach(fun(P) ->
                          case sys:change_code(P, ?M, Arg, [], ?SYS_TIMEOUT) of
                              ok -> ok;
                              Other -> error({change_code, P, Arg, Other})
                          end
                  end, Pids).

check_after_swap(Before, To) ->
    lists:foreach(fun({P, Count, Rate}) ->
                          {To, To} = gen_server:call(P, get_vsn),
                          Count = gen_server:call(P, get_count),
                          Rate = gen_server:call(P, get_rate),
                          60 = gen_server:call(P, get_window_s)
                  end, Before).

%%====================================================================================
%% 2. 100 gen_servers upgraded together: suspend all, load once, change all, resume all
%%====================================================================================

swap_many(Key, Variant, Count, Rounds) ->
    Pids = [begin {ok, P} = ?M:start_link(), P end || _ <- lists:seq(1, Count)],
    _ = swap_rounds(Variant, Pids, 5, 0, []),
    Samples = swap_rounds(Variant, Pids, Rounds, 0, []),
    report(Key, Samples),
    lists:foreach(fun stop_proc/1, Pids).

%%====================================================================================
%% 3. Restart: one_for_one supervisor, permanent worker registered as a name; kill it,
%%    time until the restarted worker answers a gen_server:call.
%%    Supervisors are replaced every 20 kills: a supervisor keeps every restart of the
%%    last `period` (>= 1 s) in a list it filters on each restart, so 2000 kills against
%%    one supervisor with a huge intensity would measure that list, not the restart.
%%====================================================================================

-define(RESTART_BATCH, 20).

restart_bench(N) ->
    Name = mf_restart_worker,
    OldLogger = logger:get_primary_config(),
    %% Each kill makes the supervisor log a SUPERVISOR REPORT (error level), formatted in
    %% the supervisor process: it would land on stdout and in the timing. Silence it here.
    logger:set_primary_config(level, none),
    try
        _ = restart_batches(Name, 50, []),
        Samples = restart_batches(Name, N, []),
        report(restart, Samples)
    after
        logger:set_primary_config(level, maps:get(level, OldLogger))
    end.

restart_batches(_Name, 0, Acc) -> Acc;
restart_batches(Name, K, Acc) ->
    Batch = min(K, ?RESTART_BATCH),
    {ok, Sup} = supervisor:start_link(?MODULE, {restart_sup, Name, ?RESTART_BATCH + 5}),
    pong = gen_server:call(Name, ping),
    Acc1 = restart_rounds(Name, Batch, Acc),
    stop_proc(Sup),
    restart_batches(Name, K - Batch, Acc1).

restart_rounds(_Name, 0, Acc) -> Acc;
restart_rounds(Name, K, Acc) ->
    Old = whereis(Name),
    true = is_pid(Old),
    T0 = ?NOW(),
    exit(Old, kill),
    New = wait_new(Name, Old, T0, 0),
    pong = gen_server:call(New, ping),
    T1 = ?NOW(),
    restart_rounds(Name, K - 1, [T1 - T0 | Acc]).

wait_new(Name, Old, T0, Spins) ->
    case whereis(Name) of
        P when is_pid(P), P =/= Old -> P;
        _ ->
            case Spins band 1023 =:= 1023 andalso ?NOW() - T0 > 5000000000 of
                true -> error(restart_timeout);
                false ->
                    erlang:yield(),
                    wait_new(Name, Old, T0, Spins + 1)
            end
    end.

%%====================================================================================
%% 4. Calls
%%====================================================================================

%% Anchor: raw message round trip to a plain process (no gen_server).
msg_roundtrip(N) ->
    Echo = spawn_link(fun Loop() -> receive {From, Ref} -> From ! Ref, Loop() end end),
    _ = msg_loop(Echo, 20000, []),
    report(msg_roundtrip, msg_loop(Echo, N, [])),
    unlink(Echo),
    exit(Echo, kill).

msg_loop(_E, 0, Acc) -> Acc;
msg_loop(E, K, Acc) ->
    T0 = ?NOW(),
    Ref = make_ref(),
    E ! {self(), Ref},
    receive Ref -> ok end,
    T1 = ?NOW(),
    msg_loop(E, K - 1, [T1 - T0 | Acc]).

call_trivial(N, Batches) ->
    {ok, P} = ?M:start_link(),
    _ = call_loop(P, 20000, []),
    report(call_trivial, call_loop(P, N, [])),
    %% Same calls timed 1000 at a time: per-call figure without the clock in it.
    report(call_trivial_batched, [batch(P, 1000) / 1000 || _ <- lists:seq(1, Batches)]),
    stop_proc(P).

call_loop(_P, 0, Acc) -> Acc;
call_loop(P, K, Acc) ->
    T0 = ?NOW(),
    pong = gen_server:call(P, ping),
    T1 = ?NOW(),
    call_loop(P, K - 1, [T1 - T0 | Acc]).

batch(P, K) ->
    T0 = ?NOW(),
    batch_loop(P, K),
    ?NOW() - T0.

batch_loop(_P, 0) -> ok;
batch_loop(P, K) ->
    pong = gen_server:call(P, ping),
    batch_loop(P, K - 1).

%% Realistic tick: the RTC service's handler reads the DS3231 time registers (7 bytes from
%% 0x00) and the status register (0x0F) through a second gen_server acting as the I2C bus,
%% decodes the 7 BCD bytes into Unix seconds, and keeps the reading (its "publish").
call_tick(N) ->
    {ok, Bus} = gen_server:start_link(?MODULE, {i2c_bus, #{?RTC_ADDR => ds3231_registers()}}, []),
    {ok, Rtc} = gen_server:start_link(?MODULE, {rtc, Bus}, []),
    Expected = calendar:datetime_to_gregorian_seconds({{2024, 6, 15}, {13, 45, 30}}) - 62167219200,
    {Expected, false} = gen_server:call(Rtc, tick),
    _ = tick_loop(Rtc, 2000, []),
    report(call_tick, tick_loop(Rtc, N, [])),
    stop_proc(Rtc),
    stop_proc(Bus).

tick_loop(_R, 0, Acc) -> Acc;
tick_loop(R, K, Acc) ->
    T0 = ?NOW(),
    {_, _} = gen_server:call(R, tick),
    T1 = ?NOW(),
    tick_loop(R, K - 1, [T1 - T0 | Acc]).

%% 0x00-0x12: 2024-06-15 (Saturday) 13:45:30, 24 h mode; alarms; control 0x1C; status
%% 0x08 (EN32kHz, OSF clear); aging 0; temperature 22.25 C.
ds3231_registers() ->
    <<16#30, 16#45, 16#13, 16#07, 16#15, 16#06, 16#24,
      0, 0, 0, 0, 0, 0, 0,
      16#1C, 16#08, 0, 16#16, 16#40>>.

unbcd(B) -> (B bsr 4) * 10 + (B band 16#0F).

maxim_hour(B) when B band 16#40 =:= 0 -> unbcd(B band 16#3F);
maxim_hour(B) ->
    Pm = case B band 16#20 of 0 -> 0; _ -> 12 end,
    unbcd(B band 16#1F) rem 12 + Pm.

decode_ds3231(<<S, Mi, H, _Dow, D, MC, Y>>) ->
    Century = case MC band 16#80 of 0 -> 0; _ -> 100 end,
    Date = {2000 + Century + unbcd(Y), unbcd(MC band 16#1F), unbcd(D band 16#3F)},
    Time = {maxim_hour(H), unbcd(Mi band 16#7F), unbcd(S band 16#7F)},
    calendar:datetime_to_gregorian_seconds({Date, Time}) - 62167219200.

%%====================================================================================
%% 5. Supervisor with 100 children: start until all answer; footprint in fresh VMs
%%====================================================================================

start_100(Runs) ->
    _ = [start_sup_100() || _ <- lists:seq(1, 2)],
    report(start_100, [start_sup_100() || _ <- lists:seq(1, Runs)]).

start_sup_100() ->
    T0 = ?NOW(),
    {ok, Sup} = supervisor:start_link(?MODULE, {pulse_sup, 100}),
    Kids = supervisor:which_children(Sup),
    100 = length([pong = gen_server:call(P, ping) || {_, P, worker, _} <- Kids, is_pid(P)]),
    T1 = ?NOW(),
    stop_proc(Sup),
    T1 - T0.

footprint() ->
    %% Heap + stack + mailbox of one idle mf_pulse server, as the VM accounts it.
    {ok, Sup} = supervisor:start_link(?MODULE, {pulse_sup, 100}),
    Pids = [P || {_, P, _, _} <- supervisor:which_children(Sup)],
    [pong = gen_server:call(P, ping) || P <- Pids],
    Mem = lists:sum([element(2, erlang:process_info(P, memory)) || P <- Pids]),
    stop_proc(Sup),
    io:format("otp mem_per_server bytes=~b~n", [Mem div length(Pids)]),
    Erl = filename:join([code:root_dir(), "bin", "erl"]),
    Dir = filename:dirname(filename:absname(code:which(?MODULE))),
    Harness = fun(K) -> ["-noshell", "-pa", Dir, "-pa", gen_dir(),
                         "-run", atom_to_list(?MODULE), "child_rss", integer_to_list(K)] end,
    %% Bare VM: plain `erl -noshell`, nothing evaluated.
    report_kb(rss_bare, [bare_rss_kb(Erl) || _ <- lists:seq(1, 3)]),
    %% Same harness as rss_100 with no servers: the bench module loaded, nothing started.
    report_kb(rss_harness_0, [child_rss_kb(Erl, Harness(0)) || _ <- lists:seq(1, 3)]),
    report_kb(rss_100, [child_rss_kb(Erl, Harness(100)) || _ <- lists:seq(1, 3)]).

report_kb(Key, Values) ->
    Sorted = lists:sort(Values),
    io:format("otp ~s kb=~b~n", [Key, lists:nth(length(Sorted) div 2 + 1, Sorted)]).

%% Starts a fresh VM, waits for its "ready <ospid>" line, reads VmRSS from
%% /proc/<ospid>/status, then closes its stdin so it halts.
child_rss_kb(Erl, Args) ->
    Port = open_port({spawn_executable, Erl},
                     [{args, Args}, {line, 4096}, exit_status, use_stdio, stderr_to_stdout, hide]),
    OsPid = wait_ready(Port, erlang:monotonic_time(millisecond) + 30000),
    timer:sleep(200),
    Kb = rss_kb(OsPid),
    catch port_close(Port),
    wait_gone(OsPid, 50),
    Kb.

%% A plain `erl -noshell` gives no sign of life: erl execs erlexec, which execs beam.smp
%% (same OS pid as the port); once the pid is beam.smp, wait for VmRSS to settle
%% (two readings 200 ms apart within 64 kB, after at least 600 ms), then SIGTERM it
%% (the BEAM handles SIGTERM as init:stop()).
bare_rss_kb(Erl) ->
    Port = open_port({spawn_executable, Erl},
                     [{args, ["-noshell"]}, exit_status, use_stdio, stderr_to_stdout, hide]),
    {os_pid, OsPidInt} = erlang:port_info(Port, os_pid),
    OsPid = integer_to_list(OsPidInt),
    try
        wait_beam(OsPid, 100),
        timer:sleep(600),
        settle(OsPid, rss_kb(OsPid), 25)
    after
        os:cmd("kill -TERM " ++ OsPid),
        wait_gone(OsPid, 100),
        catch port_close(Port)
    end.

wait_beam(_OsPid, 0) -> error(bare_vm_not_beam);
wait_beam(OsPid, K) ->
    case file:read_link("/proc/" ++ OsPid ++ "/exe") of
        {ok, Exe} ->
            case lists:suffix("beam.smp", Exe) of
                true -> ok;
                false -> timer:sleep(20), wait_beam(OsPid, K - 1)
            end;
        _ -> timer:sleep(20), wait_beam(OsPid, K - 1)
    end.

settle(_OsPid, Kb, 0) -> Kb;
settle(OsPid, Kb, K) ->
    timer:sleep(200),
    case rss_kb(OsPid) of
        Kb2 when abs(Kb2 - Kb) =< 64 -> Kb2;
        Kb2 -> settle(OsPid, Kb2, K - 1)
    end.

wait_ready(Port, Deadline) ->
    Left = max(0, Deadline - erlang:monotonic_time(millisecond)),
    receive
        {Port, {data, {eol, "ready " ++ Pid}}} -> string:trim(Pid);
        {Port, {data, _Other}} -> wait_ready(Port, Deadline);
        {Port, {exit_status, S}} -> error({child_exited, S})
    after Left ->
            catch port_close(Port),
            error(child_not_ready)
    end.

wait_gone(OsPid, 0) -> os:cmd("kill -9 " ++ OsPid), ok;
wait_gone(OsPid, K) ->
    case filelib:is_file("/proc/" ++ OsPid) of
        false -> ok;
        true -> timer:sleep(20), wait_gone(OsPid, K - 1)
    end.

rss_kb(OsPid) ->
    {ok, Bin} = file:read_file("/proc/" ++ OsPid ++ "/status"),
    parse_rss(Bin).

self_rss_kb() -> rss_kb(os:getpid()).

parse_rss(Bin) ->
    [Line] = [L || L <- binary:split(Bin, <<"\n">>, [global]), binary:match(L, <<"VmRSS:">>) =/= nomatch],
    [_, Num | _] = string:lexemes(binary_to_list(Line), " \t"),
    list_to_integer(Num).

%% Runs in the child VM (started by footprint/0): start K servers under a supervisor.
child_rss([KStr | _]) ->
    K = list_to_integer(KStr),
    case K > 0 of
        true ->
            {ok, Sup} = supervisor:start_link(?MODULE, {pulse_sup, K}),
            unlink(Sup),
            [pong = gen_server:call(P, ping) || {_, P, _, _} <- supervisor:which_children(Sup)];
        false -> ok
    end,
    io:format("ready ~s~n", [os:getpid()]),
    spawn(fun() -> receive after 60000 -> halt() end end),
    _ = io:get_line(''),
    halt().

%%====================================================================================
%% 6. Soak: 10000 swaps of one server while a sender casts numbered events at it.
%%====================================================================================

soak(Swaps) ->
    {ok, P} = ?M:start_link(),
    ok = gen_server:call(P, {set_rate, 5}),
    erlang:garbage_collect(),
    Rss0 = self_rss_kb(),
    Self = self(),
    Sender = spawn_link(fun() -> sender(P, 0) end),
    Samples = soak_loop(P, Swaps, []),
    Sender ! {stop, Self},
    {Sent, Count, Last} = receive {sent, S, C, L} -> {S, C, L} after 60000 -> error(sender_timeout) end,
    5 = gen_server:call(P, get_rate),
    case Last =:= Sent of
        true -> ok;
        false -> err(soak, {last_event_mismatch, Last, Sent})
    end,
    erlang:garbage_collect(P),
    erlang:garbage_collect(),
    Rss1 = self_rss_kb(),
    report(soak_pause, Samples),
    io:format("otp soak swaps=~b events_sent=~b events_lost=~b rss_growth_kb=~b~n",
              [length(Samples), Sent, Sent - Count, Rss1 - Rss0]),
    stop_proc(P).

soak_loop(_P, 0, Acc) -> Acc;
soak_loop(P, K, Acc) ->
    From = cur_vsn(),
    To = other(From),
    Dt = swap_once(pause, [P], From, To),
    {To, To} = gen_server:call(P, get_vsn),
    soak_loop(P, K - 1, [Dt | Acc]).

%% Bursts of 100 casts, then ~1 ms pause: a steady stream (~50-100 k events/s) that keeps the
%% mailbox bounded. The final get_count call is ordered after all of this sender's casts.
sender(P, N) ->
    N1 = burst(P, N, 100),
    receive
        {stop, From} ->
            Count = gen_server:call(P, get_count, 60000),
            Last = gen_server:call(P, get_last, 60000),
            From ! {sent, N1, Count, Last}
    after 1 ->
            sender(P, N1)
    end.

burst(_P, N, 0) -> N;
burst(P, N, K) ->
    gen_server:cast(P, {event, N + 1}),
    burst(P, N + 1, K - 1).

%%====================================================================================
%% Helpers
%%====================================================================================

stop_proc(Pid) ->
    unlink(Pid),
    MRef = monitor(process, Pid),
    exit(Pid, shutdown),
    receive {'DOWN', MRef, process, Pid, _} -> ok
    after 10000 -> exit(Pid, kill), receive {'DOWN', MRef, process, Pid, _} -> ok end
    end.

%%====================================================================================
%% Callbacks: supervisors, the simulated I2C bus and the RTC service
%%====================================================================================

init({pulse_sup, K}) ->
    {ok, {#{strategy => one_for_one, intensity => 10, period => 1},
          [#{id => {pulse, I}, start => {?M, start_link, []}, restart => permanent,
             shutdown => 1000, type => worker, modules => [?M]} || I <- lists:seq(1, K)]}};
init({restart_sup, Name, MaxR}) ->
    {ok, {#{strategy => one_for_one, intensity => MaxR, period => 1},
          [#{id => worker, start => {?M, start_link, [Name]}, restart => permanent,
             shutdown => 1000, type => worker, modules => [?M]}]}};
init({i2c_bus, Devices}) -> {ok, {i2c_bus, Devices}};
init({rtc, Bus}) -> {ok, {rtc, Bus, undefined}}.

handle_call({read, Addr, Reg, Count}, _From, St = {i2c_bus, Devices}) ->
    Reply = case Devices of
                #{Addr := Regs} when Reg + Count =< byte_size(Regs) -> {ok, binary:part(Regs, Reg, Count)};
                #{Addr := _} -> {error, out_of_range};
                _ -> {error, nack}
            end,
    {reply, Reply, St};
handle_call(tick, _From, {rtc, Bus, _Last}) ->
    {ok, Time} = gen_server:call(Bus, {read, ?RTC_ADDR, 16#00, 7}),
    {ok, <<Status>>} = gen_server:call(Bus, {read, ?RTC_ADDR, 16#0F, 1}),
    Seconds = decode_ds3231(Time),
    Lost = Status band 16#80 =/= 0,
    Offset = Seconds - erlang:system_time(second),
    {reply, {Seconds, Lost}, {rtc, Bus, {Seconds, Offset, Lost}}};
handle_call(_Req, _From, St) -> {reply, {error, unknown_call}, St}.

handle_cast(_Msg, St) -> {noreply, St}.
handle_info(_Msg, St) -> {noreply, St}.
terminate(_Reason, _St) -> ok.
code_change(_OldVsn, St, _Extra) -> {ok, St}.

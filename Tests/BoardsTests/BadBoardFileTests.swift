import Boards
import Testing

/// Every bad board file is refused with the file, the field and what was expected.
@Suite struct BadBoardFileTests {
    func problem(_ json: String) -> String? {
        do {
            _ = try BoardFileParser.parse(Array(json.utf8), file: "board/x/board.json", folder: "/nonexistent")
            return nil
        } catch {
            return error.description
        }
    }

    static let base = #""name": "x", "backend": "simulated""#

    @Test(arguments: [
        ("{", "board/x/board.json: not valid JSON: line 1, column 2: expected a quoted member name"),
        (#"{"backend": "simulated"}"#, "board/x/board.json: missing field \"name\""),
        (#"{"name": "x", "backend": "arduino"}"#, "board/x/board.json: backend: expected \"simulated\" or \"linux\", found \"arduino\""),
        (#"{"name": "x y", "backend": "linux"}"#, "board/x/board.json: name: expected a name of letters, digits, '-' and '_'"),
        ("{\(base), \"i2cc\": []}", "board/x/board.json: unknown field \"i2cc\" (expected one of: backend, bootEnv, description, firmware, gpio, i2c, name, watchdog)"),
        ("{\(base), \"firmware\": {\"slots\": {\"a\": \"x.img\"}, \"slotSize\": 8192}}", "board/x/board.json: firmware.slots: missing field \"b\""),
        ("{\(base), \"firmware\": {\"slots\": {\"a\": \"x.img\", \"b\": \"x.img\"}, \"slotSize\": 8192}}", "board/x/board.json: firmware.slots: slots a and b are the same device"),
        ("{\(base), \"firmware\": {\"slots\": {\"a\": \"../a\", \"b\": \"b\"}, \"slotSize\": 8192}}", "board/x/board.json: firmware.slots.a: expected a device or a file name"),
        ("{\(base), \"firmware\": {\"slots\": {\"a\": \"a\", \"b\": \"b\"}}}", "board/x/board.json: firmware: a simulated board's slots are files: give slotSize"),
        (#"{"name": "x", "backend": "linux", "firmware": {"slots": {"a": "/dev/a", "b": "/dev/b"}}}"#, "board/x/board.json: firmware: a Linux board with slots needs bootEnv (its fw_env.config)"),
        ("{\(base), \"i2c\": [{\"bus\": 2000}]}", "board/x/board.json: i2c[0].bus: 2000 is out of range (expected 0-1023)"),
        ("{\(base), \"i2c\": [{\"bus\": 1}, {\"bus\": 1}]}", "board/x/board.json: i2c[1].bus: bus 1 is listed twice"),
        (
            "{\(base), \"i2c\": [{\"bus\": 1, \"devices\": [{\"address\": \"0x78\", \"model\": \"ds3231\"}]}]}",
            "board/x/board.json: i2c[0].devices[0].address: address 0x78 is reserved by the I2C specification (expected 0x08-0x77)"
        ),
        (
            "{\(base), \"i2c\": [{\"bus\": 1, \"devices\": [{\"address\": \"0x90\", \"model\": \"ds3231\"}]}]}",
            "board/x/board.json: i2c[0].devices[0].address: 144 is out of range (expected 0-127)"
        ),
        (
            "{\(base), \"i2c\": [{\"bus\": 1, \"devices\": [{\"address\": 104, \"model\": \"ds3232\"}]}]}",
            "board/x/board.json: i2c[0].devices[0].model: unknown model \"ds3232\" (expected ds3231, ds1307, pcf8523 or register-file)"
        ),
        (
            "{\(base), \"i2c\": [{\"bus\": 1, \"devices\": [{\"address\": 104, \"model\": \"ds3231\"}, {\"address\": \"0x68\", \"model\": \"ds1307\"}]}]}",
            "board/x/board.json: i2c[0].devices[1].address: address 0x68 is used twice on i2c-1"
        ),
        (
            "{\(base), \"i2c\": [{\"bus\": 1, \"devices\": [{\"address\": 104, \"model\": \"ds3231\", \"temperature\": 120}]}]}",
            "board/x/board.json: i2c[0].devices[0].temperature: expected -40 to 85 °C (the DS3231's range)"
        ),
        (
            "{\(base), \"i2c\": [{\"bus\": 1, \"devices\": [{\"address\": 104, \"model\": \"ds3231\", \"time\": \"yesterday\"}]}]}",
            "board/x/board.json: i2c[0].devices[0].time: expected \"system\" or Unix seconds between 2000 and 2099"
        ),
        ("{\(base), \"gpio\": [{\"chip\": \"gpio0\", \"lineCount\": 8}]}", "board/x/board.json: gpio[0].chip: expected a chip name like gpiochip0, found \"gpio0\""),
        ("{\(base), \"gpio\": [{\"chip\": \"gpiochip0\"}]}", "board/x/board.json: gpio[0]: missing field \"lineCount\""),
        (
            "{\(base), \"gpio\": [{\"chip\": \"gpiochip0\", \"lineCount\": 8, \"lines\": [{\"offset\": 8}]}]}",
            "board/x/board.json: gpio[0].lines[0].offset: 8 is out of range (expected 0-7)"
        ),
        (
            "{\(base), \"gpio\": [{\"chip\": \"gpiochip0\", \"lineCount\": 8, \"lines\": [{\"offset\": 1, \"name\": \"a\"}, {\"offset\": 2, \"name\": \"a\"}]}]}",
            "board/x/board.json: gpio[0].lines[1].name: line name \"a\" is used twice on gpiochip0"
        ),
        (
            "{\(base), \"gpio\": [{\"chip\": \"gpiochip0\", \"lineCount\": 8, \"lines\": [{\"offset\": 1, \"level\": 1, \"pulses\": {\"hertz\": 2}}]}]}",
            "board/x/board.json: gpio[0].lines[0]: a line has one source; found level and pulses"
        ),
        (
            "{\(base), \"gpio\": [{\"chip\": \"gpiochip0\", \"lineCount\": 8, \"lines\": [{\"offset\": 1, \"wiredFrom\": \"led\"}]}]}",
            "board/x/board.json: gpio[0].lines[0].wiredFrom: no line named \"led\" on gpiochip0"
        ),
        (
            "{\(base), \"gpio\": [{\"chip\": \"gpiochip0\", \"lineCount\": 8, \"lines\": [{\"offset\": 1, \"button\": {\"everyMs\": 100, \"holdMs\": 200}}]}]}",
            "board/x/board.json: gpio[0].lines[0].button: everyMs must be longer than one press (holdMs plus bounces: 202 ms)"
        ),
        (
            "{\(base), \"gpio\": [{\"chip\": \"gpiochip0\", \"lineCount\": 8, \"lines\": [{\"offset\": 1, \"button\": {\"everyMs\": 1000, \"holdMs\": 500, \"bounces\": 100, \"bounceUs\": 100000}}]}]}",
            "board/x/board.json: gpio[0].lines[0].button: everyMs must be longer than one press (holdMs plus bounces: 40000 ms)"
        ),
        (
            "{\(base), \"gpio\": [{\"chip\": \"gpiochip0\", \"lineCount\": 8, \"lines\": [{\"offset\": 1, \"pulses\": {\"hertz\": 1e-12}}]}]}",
            "board/x/board.json: gpio[0].lines[0].pulses.hertz: expected 0.001-100000 Hz, or 0 for a quiet line"
        ),
        (
            "{\(base), \"gpio\": [{\"chip\": \"gpiochip0\", \"lineCount\": 8, \"lines\": [{\"offset\": 1, \"pulses\": {\"hz\": 2}}]}]}",
            "board/x/board.json: gpio[0].lines[0].pulses: unknown field \"hz\" (expected one of: hertz)"
        ),
        (
            "{\"name\": \"x\", \"backend\": \"linux\", \"gpio\": [{\"chip\": \"gpiochip0\", \"lines\": [{\"offset\": 1, \"level\": 1}]}]}",
            "board/x/board.json: gpio[0].lines[0]: level only applies to simulated boards"
        ),
        ("{\(base), \"bootEnv\": \"fw_env.config\"}", "board/x/board.json: bootEnv: /nonexistent/fw_env.config does not exist"),
        ("{\(base), \"bootEnv\": \"../etc/passwd\"}", "board/x/board.json: bootEnv: expected a file name in the board folder"),
    ])
    func refusesWithFileFieldAndExpectation(json: String, expected: String) {
        #expect(problem(json) == expected)
    }

    @Test func acceptsAMinimalBoard() {
        #expect(problem("{\(BadBoardFileTests.base)}") == nil)
    }
}

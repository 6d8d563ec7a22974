import JSON
import Manifests

/// What a firmware bundle says of itself, signed: which boards it is for, its version and
/// security version, the agent it needs, and its images with their size and SHA-256 —
/// whole and per block, so each block is checked before it is written.
public struct FirmwareManifest: Hashable, Sendable {
    public struct Image: Hashable, Sendable {
        public let name: String
        public let size: Int
        /// SHA-256 of the whole image, lower-case hex.
        public let sha256: String
        /// SHA-256 of each `blockSize` block (the last may be shorter), lower-case hex.
        public let blocks: [String]
    }

    public static let format = 1
    /// The block a receiver holds, checks and then writes; also its bound on memory.
    public static let blockSize = 1 << 20
    public static let productName = "midflight"

    public let product: String
    public let compatible: [String]
    public let version: SemanticVersion
    public let securityVersion: Int
    public let minimumAgentVersion: SemanticVersion
    public let images: [Image]

    public init(
        compatible: [String], version: SemanticVersion, securityVersion: Int, minimumAgentVersion: SemanticVersion,
        images: [Image]
    ) {
        product = Self.productName
        self.compatible = compatible
        self.version = version
        self.securityVersion = securityVersion
        self.minimumAgentVersion = minimumAgentVersion
        self.images = images
    }

    /// The root filesystem image, the one a slot holds.
    public var rootfs: Image? { images.first { $0.name == "rootfs" } }
    public var payloadSize: Int { images.reduce(0) { $0 + $1.size } }

    public var serialized: [UInt8] {
        let document = JSONValue.object([
            ("format", .number(Double(Self.format))), ("product", .string(product)),
            ("compatible", .array(compatible.map(JSONValue.string))), ("version", .string(version.description)),
            ("securityVersion", .number(Double(securityVersion))),
            ("minimumAgentVersion", .string(minimumAgentVersion.description)),
            ("images", .array(images.map { image in
                .object([
                    ("name", .string(image.name)), ("size", .number(Double(image.size))), ("sha256", .string(image.sha256)),
                    ("blocks", .array(image.blocks.map(JSONValue.string))),
                ])
            })),
        ])
        return Array(document.serialized.utf8)
    }

    public static func parse(_ bytes: [UInt8]) throws(FirmwareRefusal) -> FirmwareManifest {
        do {
            return try read(bytes)
        } catch {
            throw FirmwareRefusal(.malformed, "bad firmware manifest: \(error.path.isEmpty ? "" : error.path + ": ")\(error.message)")
        }
    }

    private static func read(_ bytes: [UInt8]) throws(JSONReader.Problem) -> FirmwareManifest {
        let document: JSONValue
        do {
            document = try JSONParser.parse(bytes)
        } catch {
            throw JSONReader.Problem(file: "manifest", path: "", message: "not valid JSON: \(error)")
        }
        let root = JSONReader(file: "manifest", value: document)
        try root.onlyMembers(["format", "product", "compatible", "version", "securityVersion", "minimumAgentVersion", "images"])
        let formatField = try root.required("format")
        guard try formatField.integer(in: 0...1000) == format else {
            throw formatField.problem("format \(try formatField.integer(in: 0...1000)) is not supported (this agent reads \(format))")
        }
        let productField = try root.required("product")
        guard try productField.string() == productName else {
            throw productField.problem("not a Midflight firmware (product \"\(try productField.string())\")")
        }
        var compatible: [String] = []
        for entry in try root.required("compatible").array() { compatible.append(try entry.string()) }
        guard !compatible.isEmpty else { throw root.problem("compatible names no board") }
        let version = try semanticVersion(root.required("version"))
        let securityVersion = try root.required("securityVersion").integer(in: 0...1_000_000)
        let minimumAgent = try semanticVersion(root.required("minimumAgentVersion"))
        var images: [Image] = []
        for entry in try root.required("images").array() {
            try entry.onlyMembers(["name", "size", "sha256", "blocks"])
            let nameField = try entry.required("name")
            let name = try nameField.string()
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                throw nameField.problem("image names are letters, digits, '-' and '_'")
            }
            guard !images.contains(where: { $0.name == name }) else { throw nameField.problem("image \(name) is listed twice") }
            let size = try entry.required("size").integer(in: 0...(1 << 40))
            let sha256 = try entry.required("sha256").string()
            guard isDigest(sha256) else { throw try entry.required("sha256").problem("expected 64 lower-case hex digits") }
            var blocks: [String] = []
            for block in try entry.required("blocks").array() {
                let digest = try block.string()
                guard isDigest(digest) else { throw block.problem("expected 64 lower-case hex digits") }
                blocks.append(digest)
            }
            guard blocks.count == (size + blockSize - 1) / blockSize else {
                throw try entry.required("blocks").problem("\(blocks.count) block digests for an image of \(size) bytes")
            }
            images.append(Image(name: name, size: size, sha256: sha256, blocks: blocks))
        }
        guard images.contains(where: { $0.name == "rootfs" }) else { throw root.problem("no rootfs image") }
        return FirmwareManifest(
            compatible: compatible, version: version, securityVersion: securityVersion, minimumAgentVersion: minimumAgent,
            images: images)
    }

    private static func semanticVersion(_ field: JSONReader) throws(JSONReader.Problem) -> SemanticVersion {
        let text = try field.string()
        guard let version = SemanticVersion(text) else { throw field.problem("\"\(text)\" is not MAJOR.MINOR.PATCH") }
        return version
    }

    static func isDigest(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }
}

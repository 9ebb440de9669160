/// Encodes a value straight into a `JSONValue`: the tree `JSONEncoder` followed by `JSONParser` would give, without
/// the text in between. Every append, import line and read-model document is encoded this way, and the round trip
/// through text was the largest cost of the import and the rebuild.
public enum JSONTreeEncoder {
    /// The tree `value` encodes to.
    public static func encode(_ value: some Encodable) throws -> JSONValue {
        let root = Node()
        try value.encode(to: TreeEncoder(node: root, codingPath: []))
        return root.value
    }
}

/// One value under construction; containers hand out child nodes that fill in later.
private final class Node {
    var scalar: JSONValue?
    var members: [String: Node]?
    var elements: [Node]?

    var value: JSONValue {
        if let members { return .object(members.mapValues(\.value)) }
        if let elements { return .array(elements.map(\.value)) }
        // A value that encoded nothing is an empty object, as JSONEncoder writes it.
        return scalar ?? .object([:])
    }

    func object() {
        if members == nil { (members, elements, scalar) = ([:], nil, nil) }
    }

    func array() {
        if elements == nil { (elements, members, scalar) = ([], nil, nil) }
    }

    func child(_ key: some CodingKey) -> Node {
        object()
        let node = Node()
        members?[key.stringValue] = node
        return node
    }

    func appended() -> Node {
        array()
        let node = Node()
        elements?.append(node)
        return node
    }
}

private struct TreeEncoder: Encoder {
    let node: Node
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        node.object()
        return KeyedEncodingContainer(Keyed(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        node.array()
        return Unkeyed(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { Single(node: node, codingPath: codingPath) }
}

/// The scalar a primitive becomes, as JSONEncoder writes it and JSONParser reads it back.
private enum Scalar {
    static func integer(_ value: some BinaryInteger) -> JSONValue {
        if let exact = Int64(exactly: value) { return .integer(exact) }
        return .number(String(value))
    }

    static func number(_ value: Double, _ codingPath: [any CodingKey]) throws -> JSONValue {
        guard value.isFinite else {
            throw EncodingError.invalidValue(
                value, .init(codingPath: codingPath, debugDescription: "\(value) is not a JSON number"))
        }
        if value == value.rounded(), let exact = Int64(exactly: value) { return .integer(exact) }
        return .number(String(value))
    }
}

private struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: Node
    let codingPath: [any CodingKey]

    private func set(_ value: JSONValue, _ key: Key) { node.child(key).scalar = value }

    mutating func encodeNil(forKey key: Key) throws { set(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { set(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { set(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws {
        set(try Scalar.number(value, codingPath + [key]), key)
    }
    mutating func encode(_ value: Float, forKey key: Key) throws {
        set(try Scalar.number(Double(value), codingPath + [key]), key)
    }
    mutating func encode(_ value: Int, forKey key: Key) throws { set(Scalar.integer(value), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { set(Scalar.integer(value), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { set(Scalar.integer(value), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { set(Scalar.integer(value), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { set(Scalar.integer(value), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { set(Scalar.integer(value), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { set(Scalar.integer(value), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { set(Scalar.integer(value), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { set(Scalar.integer(value), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { set(Scalar.integer(value), key) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try value.encode(to: TreeEncoder(node: node.child(key), codingPath: codingPath + [key]))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let child = node.child(key)
        child.object()
        return KeyedEncodingContainer(Keyed<NestedKey>(node: child, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = node.child(key)
        child.array()
        return Unkeyed(node: child, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder {
        TreeEncoder(node: node.child(SuperKey.super), codingPath: codingPath)
    }
    mutating func superEncoder(forKey key: Key) -> any Encoder {
        TreeEncoder(node: node.child(key), codingPath: codingPath + [key])
    }
}

private enum SuperKey: String, CodingKey { case `super` }

private struct IndexKey: CodingKey {
    var stringValue: String { "\(intValue ?? 0)" }
    var intValue: Int?
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

private struct Unkeyed: UnkeyedEncodingContainer {
    let node: Node
    let codingPath: [any CodingKey]
    var count: Int { node.elements?.count ?? 0 }

    private func append(_ value: JSONValue) { node.appended().scalar = value }
    private var nextPath: [any CodingKey] { codingPath + [IndexKey(count)] }

    mutating func encodeNil() throws { append(.null) }
    mutating func encode(_ value: Bool) throws { append(.bool(value)) }
    mutating func encode(_ value: String) throws { append(.string(value)) }
    mutating func encode(_ value: Double) throws { append(try Scalar.number(value, nextPath)) }
    mutating func encode(_ value: Float) throws { append(try Scalar.number(Double(value), nextPath)) }
    mutating func encode(_ value: Int) throws { append(Scalar.integer(value)) }
    mutating func encode(_ value: Int8) throws { append(Scalar.integer(value)) }
    mutating func encode(_ value: Int16) throws { append(Scalar.integer(value)) }
    mutating func encode(_ value: Int32) throws { append(Scalar.integer(value)) }
    mutating func encode(_ value: Int64) throws { append(Scalar.integer(value)) }
    mutating func encode(_ value: UInt) throws { append(Scalar.integer(value)) }
    mutating func encode(_ value: UInt8) throws { append(Scalar.integer(value)) }
    mutating func encode(_ value: UInt16) throws { append(Scalar.integer(value)) }
    mutating func encode(_ value: UInt32) throws { append(Scalar.integer(value)) }
    mutating func encode(_ value: UInt64) throws { append(Scalar.integer(value)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let path = nextPath
        try value.encode(to: TreeEncoder(node: node.appended(), codingPath: path))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<
        NestedKey
    > {
        let path = nextPath
        let child = node.appended()
        child.object()
        return KeyedEncodingContainer(Keyed<NestedKey>(node: child, codingPath: path))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let path = nextPath
        let child = node.appended()
        child.array()
        return Unkeyed(node: child, codingPath: path)
    }

    mutating func superEncoder() -> any Encoder {
        let path = nextPath
        return TreeEncoder(node: node.appended(), codingPath: path)
    }
}

private struct Single: SingleValueEncodingContainer {
    let node: Node
    let codingPath: [any CodingKey]

    private func set(_ value: JSONValue) { node.scalar = value }

    mutating func encodeNil() throws { set(.null) }
    mutating func encode(_ value: Bool) throws { set(.bool(value)) }
    mutating func encode(_ value: String) throws { set(.string(value)) }
    mutating func encode(_ value: Double) throws { set(try Scalar.number(value, codingPath)) }
    mutating func encode(_ value: Float) throws { set(try Scalar.number(Double(value), codingPath)) }
    mutating func encode(_ value: Int) throws { set(Scalar.integer(value)) }
    mutating func encode(_ value: Int8) throws { set(Scalar.integer(value)) }
    mutating func encode(_ value: Int16) throws { set(Scalar.integer(value)) }
    mutating func encode(_ value: Int32) throws { set(Scalar.integer(value)) }
    mutating func encode(_ value: Int64) throws { set(Scalar.integer(value)) }
    mutating func encode(_ value: UInt) throws { set(Scalar.integer(value)) }
    mutating func encode(_ value: UInt8) throws { set(Scalar.integer(value)) }
    mutating func encode(_ value: UInt16) throws { set(Scalar.integer(value)) }
    mutating func encode(_ value: UInt32) throws { set(Scalar.integer(value)) }
    mutating func encode(_ value: UInt64) throws { set(Scalar.integer(value)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try value.encode(to: TreeEncoder(node: node, codingPath: codingPath))
    }
}

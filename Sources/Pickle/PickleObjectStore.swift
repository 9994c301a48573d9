/// The table of containers a pickle builds, with each kind in its own array so
/// that `APPEND` / `SETITEM` / `BUILD` mutate in place (no copy per opcode).
struct PickleObjectStore {
    enum Kind { case tuple, list, dictionary, set, call, persistent }

    private var slots: [(kind: Kind, index: Int)] = []
    private var tuples: [[PickleValue]] = []
    private var lists: [[PickleValue]] = []
    private var dictionaries: [PickleDictionary] = []
    private var sets: [(items: [PickleValue], members: Set<PickleValue>)] = []
    private var calls: [PickleCall] = []
    private var persistents: [PickleValue] = []

    var count: Int { slots.count }

    mutating func add(_ new: PickleObject) -> PickleValue {
        let slot: (Kind, Int)
        switch new {
        case .tuple(let items): slot = (.tuple, tuples.count); tuples.append(items)
        case .list(let items): slot = (.list, lists.count); lists.append(items)
        case .dictionary(let dictionary): slot = (.dictionary, dictionaries.count); dictionaries.append(dictionary)
        case .set(let items):
            slot = (.set, sets.count)
            sets.append(([], []))
            addToSet(slot.1, items)
        case .call(let call): slot = (.call, calls.count); calls.append(call)
        case .persistent(let id): slot = (.persistent, persistents.count); persistents.append(id)
        }
        slots.append(slot)
        return .object(PickleObjectID(index: slots.count - 1))
    }

    func kind(of value: PickleValue) -> Kind? {
        guard case .object(let id) = value else { return nil }
        return slots[id.index].kind
    }

    /// The items of a tuple, or nil when `value` is not a tuple.
    func tupleItems(_ value: PickleValue) -> [PickleValue]? {
        guard case .object(let id) = value, slots[id.index].kind == .tuple else { return nil }
        return tuples[slots[id.index].index]
    }

    /// The items of a tuple or list, or nil.
    func sequenceItems(_ value: PickleValue) -> [PickleValue]? {
        guard case .object(let id) = value else { return nil }
        let slot = slots[id.index]
        switch slot.kind {
        case .tuple: return tuples[slot.index]
        case .list: return lists[slot.index]
        default: return nil
        }
    }

    /// The id a persistent object was made from, or nil when `value` is not one.
    func persistentID(_ value: PickleValue) -> PickleValue? {
        guard case .object(let id) = value, slots[id.index].kind == .persistent else { return nil }
        return persistents[slots[id.index].index]
    }

    /// Whether `value` is an empty dict.
    func isEmptyDictionary(_ value: PickleValue) -> Bool {
        guard case .object(let id) = value, slots[id.index].kind == .dictionary else { return false }
        return dictionaries[slots[id.index].index].count == 0
    }

    /// Appends to the list `value` refers to; false if it is not a list.
    mutating func append(_ items: [PickleValue], to value: PickleValue) -> Bool {
        guard case .object(let id) = value, slots[id.index].kind == .list else { return false }
        lists[slots[id.index].index].append(contentsOf: items)
        return true
    }

    /// Sets `pairs` (key, value, key, value, …) in the dict `value` refers
    /// to; false if it is not a dict.
    mutating func setItems(_ pairs: [PickleValue], in value: PickleValue) -> Bool {
        guard case .object(let id) = value, slots[id.index].kind == .dictionary else { return false }
        let index = slots[id.index].index
        for pair in stride(from: 0, to: pairs.count - 1, by: 2) {
            dictionaries[index].set(pairs[pair], pairs[pair + 1])
        }
        return true
    }

    /// Adds to the set `value` refers to; false if it is not a set.
    mutating func addItems(_ items: [PickleValue], to value: PickleValue) -> Bool {
        guard case .object(let id) = value, slots[id.index].kind == .set else { return false }
        addToSet(slots[id.index].index, items)
        return true
    }

    private mutating func addToSet(_ index: Int, _ items: [PickleValue]) {
        for item in items where sets[index].members.insert(item).inserted {
            sets[index].items.append(item)
        }
    }

    /// Attaches `BUILD` state to a call record or a dict; false for anything else.
    mutating func build(_ value: PickleValue, state: PickleValue) -> Bool {
        guard case .object(let id) = value else { return false }
        let slot = slots[id.index]
        switch slot.kind {
        case .call: calls[slot.index].state = state
        case .dictionary: dictionaries[slot.index].state = state
        default: return false
        }
        return true
    }

    /// The public table.
    func finish() -> [PickleObject] {
        slots.map { slot -> PickleObject in
            switch slot.kind {
            case .tuple: return .tuple(tuples[slot.index])
            case .list: return .list(lists[slot.index])
            case .dictionary: return .dictionary(dictionaries[slot.index])
            case .set: return .set(sets[slot.index].items)
            case .call: return .call(calls[slot.index])
            case .persistent: return .persistent(persistents[slot.index])
            }
        }
    }
}

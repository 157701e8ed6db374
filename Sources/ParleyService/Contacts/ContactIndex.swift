import Foundation

/// One letter of the contact list: `{"title": "A", "list": [Item…]}`.
struct ContactGroup: Encodable, Sendable, Equatable {
    let title: String
    let list: [FriendListItem]
}

/// How the contact list is grouped and ordered, as the client's index bar shows it (API.md §4,
/// Friends).
///
/// - A name starting with a Latin letter goes under that letter, upper-cased, diacritics and full
///   width removed (`émile` → E, `Ａlice` → A).
/// - A name starting with a Chinese character goes under the initial of that character's pinyin
///   (`张三` → Z).
/// - Anything else (digits, emoji, symbols, other scripts, an empty name) goes under `#`.
///
/// Groups come A–Z, then `#`. Within a group, items are ordered by their sort key — the whole name
/// transliterated to Latin, without diacritics, lower-cased (`张三` → `zhang san`, so it sorts
/// before `Zoe`) — then by the name itself, then by user id, so the order is total.
enum ContactIndex {
    /// The title of the group for everything that has no Latin initial.
    static let otherTitle = "#"

    static func groups(_ items: [FriendListItem]) -> [ContactGroup] {
        let keyed = items.map { (item: $0, initial: initial(of: $0.name), key: sortKey(of: $0.name)) }
        let byInitial = Dictionary(grouping: keyed, by: \.initial)
        return byInitial.keys.sorted(by: titleOrder).map { title in
            let members = byInitial[title]!.sorted { lhs, rhs in
                (lhs.key, lhs.item.name, lhs.item.id) < (rhs.key, rhs.item.name, rhs.item.id)
            }
            return ContactGroup(title: title, list: members.map(\.item))
        }
    }

    /// The group title of `name`: `A`–`Z` or `#`.
    static func initial(of name: String) -> String {
        guard let first = name.first else { return otherTitle }
        // ASCII needs no transform (they leave it as it is), and ICU's cost most of /friend/list.
        if first.isASCII { return first.isLetter ? first.uppercased() : otherTitle }
        var text = String(first)
        if first.unicodeScalars.first?.properties.isIdeographic == true {
            text = text.applyingTransform(.toLatin, reverse: false) ?? text
        }
        text = text.applyingTransform(.fullwidthToHalfwidth, reverse: false) ?? text
        text = text.applyingTransform(.stripDiacritics, reverse: false) ?? text
        guard let letter = text.unicodeScalars.first, letter.isASCII, letter.properties.isAlphabetic else {
            return otherTitle
        }
        return String(letter).uppercased()
    }

    /// The order of `name` within its group.
    static func sortKey(of name: String) -> String {
        if name.utf8.allSatisfy({ $0 < 0x80 }) { return name.lowercased() }
        let latin = name.applyingTransform(.toLatin, reverse: false) ?? name
        let plain = latin.applyingTransform(.stripDiacritics, reverse: false) ?? latin
        return plain.lowercased()
    }

    /// Letters A–Z, then `#`.
    private static func titleOrder(_ lhs: String, _ rhs: String) -> Bool {
        switch (lhs == otherTitle, rhs == otherTitle) {
        case (false, true): true
        case (true, false): false
        default: lhs < rhs
        }
    }
}

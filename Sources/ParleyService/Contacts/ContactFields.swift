import Foundation

/// The input fields of the friend-request, friend and tag routes, with the names their validation
/// texts use.
enum ContactFields {
    static let friendID = Field("friend_id", chinese: "好友ID", english: "friend id")
    /// The `:id` of `/friend/…/:id`: the friend's user id.
    static let friendPathID = Field("id", chinese: "好友ID", english: "friend id")
    /// The `:id` of `/apply/handle/:id`.
    static let applyPathID = Field("id", chinese: "申请ID", english: "request id")
    /// The `:id` of `/tag/read/:id`.
    static let tagPathID = Field("id", chinese: "标签ID", english: "tag id")
    static let page = Field("page", chinese: "页码", english: "page")
    static let limit = Field("limit", chinese: "每页条数", english: "limit")
    /// The remark I give a friend.
    static let nickname = Field("nickname", chinese: "备注", english: "remark")
    static let lookme = Field("lookme", chinese: "允许他看我", english: "lookme")
    static let lookhim = Field("lookhim", chinese: "看他", english: "lookhim")
    static let status = Field("status", chinese: "处理结果", english: "status")
    static let isblack = Field("isblack", chinese: "黑名单", english: "isblack")
    static let star = Field("star", chinese: "星标", english: "star")
    static let tags = Field("tags", chinese: "标签", english: "tags")

    static let nicknameLength = 1...30
    static let pageLimits = 1...50
    static let defaultPageLimit = 10
    static let maximumTags = 20
    static let tagLength = 1...30
}

extension RequestFields {
    /// My remark for a friend: `nil` when absent, `""` to clear it, else at most 30 characters.
    func remark() throws -> String? {
        try optionalString(ContactFields.nickname, length: ContactFields.nicknameLength)
    }

    /// The tags of `POST /friend/setremarktag/:id`: a comma-separated string (`,` or `，`) or an
    /// array of strings (form bodies give an array for a repeated key).
    ///
    /// Each tag is trimmed and put in Unicode NFC; empty ones are dropped and duplicates collapsed,
    /// keeping the first; the limit of 20 counts what is left. `""` and `[]` mean no tags.
    func tagNames() throws -> [String] {
        let field = ContactFields.tags
        let raw: [String]
        switch try value(field) {
        case .none, .null:
            throw ParleyError.validation(.required(field))
        case .string(let text):
            raw = text.split(whereSeparator: { $0 == "," || $0 == "，" }).map(String.init)
        case .array(let values):
            raw = try values.map { value in
                guard case .string(let text) = value else {
                    throw ParleyError.validation(.wrongType(field, value: value.displayText, type: "string"))
                }
                return text
            }
        case .some(let other):
            throw ParleyError.validation(.wrongType(field, value: other.displayText, type: "array"))
        }
        var names: [String] = []
        for text in raw {
            let name = text.trimmingCharacters(in: .whitespacesAndNewlines).precomposedStringWithCanonicalMapping
            guard !name.isEmpty, !names.contains(name) else { continue }
            let bounds = ContactFields.tagLength
            guard bounds.contains(name.unicodeScalars.count) else {
                throw ParleyError.validation(.length(field, min: bounds.lowerBound, max: bounds.upperBound))
            }
            names.append(name)
        }
        guard names.count <= ContactFields.maximumTags else {
            throw ParleyError.validation(.tooMany(field, max: ContactFields.maximumTags))
        }
        return names
    }
}

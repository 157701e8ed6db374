/// The input fields of `POST /user/update`, with the names their validation texts use
/// (docs/api.md §3).
enum ProfileFields {
    static let nickname = Field("nickname", chinese: "昵称", english: "nickname")
    static let avatar = Field("avatar", chinese: "头像", english: "avatar")
    static let sex = Field("sex", chinese: "性别", english: "sex")
    static let sign = Field("sign", chinese: "个性签名", english: "signature")
    static let area = Field("area", chinese: "地区", english: "area")

    static let nicknameLength = 0...20
    /// Long enough for any URL `POST /upload` answers under a sensible `PARLEY_PUBLIC_URL`.
    static let avatarLength = 0...500
    static let signLength = 0...100
    static let areaLength = 0...50
    /// The values the schema's `users_sex_check` allows.
    static let sexes = ["男", "女", "保密"]
}

/// What `POST /user/update` changes: `nil` keeps a column as it is.
struct ProfileChanges: Sendable, Equatable {
    var nickname: String?
    var avatar: String?
    var sex: String?
    var sign: String?
    var area: String?
}

extension RequestFields {
    /// The changes a `POST /user/update` body asks for, each validated; the avatar is only checked
    /// for its shape here (``ProfilesController`` checks that it names an uploaded image).
    func profileChanges() throws -> ProfileChanges {
        ProfileChanges(
            nickname: try optionalString(ProfileFields.nickname, length: ProfileFields.nicknameLength),
            avatar: try optionalString(ProfileFields.avatar, length: ProfileFields.avatarLength),
            sex: try optionalChoice(ProfileFields.sex, in: ProfileFields.sexes),
            sign: try optionalString(ProfileFields.sign, length: ProfileFields.signLength),
            area: try optionalString(ProfileFields.area, length: ProfileFields.areaLength)
        )
    }

    /// A string that must be one of `allowed` when present; `nil` when absent or `null`.
    func optionalChoice(_ field: Field, in allowed: [String]) throws -> String? {
        switch try value(field) {
        case .none, .null: nil
        case .some: try choice(field, in: allowed)
        }
    }
}

/// Every refusal and failure Parley reports, the domain's vocabulary: stores and controllers throw
/// them (as ``ParleyError``); the stable machine code is here, the text in the catalogue
/// (`TextCatalogue.swift`), the HTTP status in `ErrorCode+Status.swift`.
enum ErrorCode: Sendable, Equatable {
    // 400
    case badRequest
    case malformedBody
    case unsupportedContentType
    case loginFailed
    case wrongPassword
    case cannotAddSelf
    case cannotReportSelf
    /// `POST /chat/send`: the recipient does not have me as a friend, or blacklisted me.
    case notFriend
    case recipientDisabled
    /// `POST /chat/recall`: the message is older than two minutes.
    case recallExpired
    /// `POST /upload`: not multipart, malformed or cut short, or without a `files` part.
    case noFile
    // 401
    case unauthenticated
    case tokenInvalid
    case tokenExpired
    // 403
    case userDisabled
    /// Acting on somebody else's record (recalling their message).
    case forbidden
    // 404
    case routeNotFound
    case notFound
    case userNotFound
    /// `POST /apply/addfriend`: the person to add does not exist or is disabled.
    case applyTargetNotFound
    /// `POST /report/save`: the reported user or group does not exist.
    case reportedNotFound
    // 409
    case usernameTaken
    case alreadyFriends
    case applyExists
    case reportExists
    // 413
    case payloadTooLarge
    /// `POST /upload`: over the limit of the file's kind.
    case fileTooLarge(MediaKind)
    // 415
    /// `POST /upload`: the bytes are no image, audio or video Parley takes.
    case unsupportedMedia
    /// `POST /upload`: the part's `Content-Type` names another kind than its bytes are.
    case mediaTypeMismatch
    // 422
    case validation(ValidationFailure)
    /// `POST /upload`: an image over ``ImageLimits/maximumSide``, or whose size cannot be read.
    case imageTooLarge
    // 429
    case rateLimited
    // 500
    case internalError
    // 503
    case unavailable

    /// The stable snake_case code that programs switch on.
    var code: String {
        switch self {
        case .badRequest, .malformedBody, .unsupportedContentType: "bad_request"
        case .loginFailed: "login_failed"
        case .wrongPassword: "wrong_password"
        case .cannotAddSelf: "cannot_add_self"
        case .cannotReportSelf: "cannot_report_self"
        case .notFriend: "not_friend"
        case .recipientDisabled: "recipient_disabled"
        case .recallExpired: "recall_expired"
        case .noFile: "no_file"
        case .fileTooLarge: "file_too_large"
        case .unsupportedMedia: "unsupported_media"
        case .mediaTypeMismatch: "media_type_mismatch"
        case .imageTooLarge: "image_too_large"
        case .forbidden: "forbidden"
        case .unauthenticated: "unauthenticated"
        case .tokenInvalid: "token_invalid"
        case .tokenExpired: "token_expired"
        case .userDisabled: "user_disabled"
        case .routeNotFound, .notFound: "not_found"
        case .userNotFound, .applyTargetNotFound: "user_not_found"
        case .reportedNotFound: "reported_not_found"
        case .usernameTaken: "username_taken"
        case .alreadyFriends: "already_friends"
        case .applyExists: "apply_exists"
        case .reportExists: "report_exists"
        case .payloadTooLarge: "payload_too_large"
        case .validation: "validation_failed"
        case .rateLimited: "rate_limited"
        case .internalError: "internal"
        case .unavailable: "unavailable"
        }
    }
}

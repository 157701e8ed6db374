import HTTPTypes

extension ErrorCode {
    /// The HTTP status a refusal is answered with: the HTTP layer's mapping, kept apart so the
    /// stores that throw these codes say what went wrong, not how HTTP reports it.
    var status: HTTPResponse.Status {
        switch self {
        case .badRequest, .malformedBody, .unsupportedContentType, .loginFailed, .wrongPassword,
            .cannotAddSelf, .cannotReportSelf, .notFriend, .recipientDisabled, .recallExpired, .noFile:
            .badRequest
        case .unauthenticated, .tokenInvalid, .tokenExpired: .unauthorized
        case .userDisabled, .forbidden: .forbidden
        case .routeNotFound, .notFound, .userNotFound, .applyTargetNotFound, .reportedNotFound: .notFound
        case .usernameTaken, .alreadyFriends, .applyExists, .reportExists: .conflict
        case .payloadTooLarge, .fileTooLarge: .contentTooLarge
        case .unsupportedMedia, .mediaTypeMismatch: .unsupportedMediaType
        case .validation, .imageTooLarge: .unprocessableContent
        case .rateLimited: .tooManyRequests
        case .internalError: .internalServerError
        case .unavailable: .serviceUnavailable
        }
    }
}

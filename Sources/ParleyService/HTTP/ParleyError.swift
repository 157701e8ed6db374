/// The one error type routes throw: an ``ErrorCode`` that ``EnvelopeErrorMiddleware`` turns into
/// the failure envelope in the request's language.
public struct ParleyError: Error, Sendable, Equatable {
    public let code: ErrorCode

    public init(_ code: ErrorCode) {
        self.code = code
    }

    public static func validation(_ failure: ValidationFailure) -> ParleyError {
        ParleyError(.validation(failure))
    }
}

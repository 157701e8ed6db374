/// The one error type routes throw: an ``ErrorCode`` that ``EnvelopeErrorMiddleware`` turns into
/// the failure envelope in the request's language.
struct ParleyError: Error, Sendable, Equatable {
    let code: ErrorCode

    init(_ code: ErrorCode) {
        self.code = code
    }

    static func validation(_ failure: ValidationFailure) -> ParleyError {
        ParleyError(.validation(failure))
    }
}

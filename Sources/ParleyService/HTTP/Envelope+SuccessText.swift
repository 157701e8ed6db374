extension Envelope where Payload == String {
    /// A success whose data is a sentence from the catalogue, in the request's language.
    init(_ text: SuccessText, for context: AppRequestContext) {
        self.init(text.text(in: context.language))
    }
}

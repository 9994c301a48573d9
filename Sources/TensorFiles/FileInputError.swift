/// A bad-input error together with the file it concerns: the message is
/// `file: message`.
public struct FileInputError: BadInputError {
    /// The file concerned, as the user named it.
    public var file: String
    /// What is wrong with it.
    public var underlying: any BadInputError

    /// Creates an error.
    public init(file: String, underlying: any BadInputError) {
        self.file = file
        self.underlying = underlying
    }

    /// `file: message`.
    public var description: String { "\(file): \(underlying)" }
}

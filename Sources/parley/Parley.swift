import ArgumentParser
import ParleyService

@main
struct Parley: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parley",
        abstract: "The Parley chat server.",
        version: ParleyConfiguration.version,
        subcommands: [Serve.self, Migrate.self]
    )
}

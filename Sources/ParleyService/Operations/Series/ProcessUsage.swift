import Foundation

/// The process's resident memory and CPU time, from Linux's `/proc/self` (zeros elsewhere).
enum ProcessUsage {
    struct Reading: Sendable, Equatable {
        var residentBytes: Int
        var cpuSeconds: Double
    }

    static func read() -> Reading {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)
        else { return Reading(residentBytes: 0, cpuSeconds: 0) }
        return parse(stat: stat, statm: statm, pageSize: Int(sysconf(Int32(_SC_PAGESIZE))), ticksPerSecond: Int(sysconf(Int32(_SC_CLK_TCK))))
    }

    /// `stat`'s user and system times (fields 14 and 15, counted after the parenthesised command
    /// name, which may itself hold spaces) and `statm`'s resident pages (its second field).
    static func parse(stat: String, statm: String, pageSize: Int, ticksPerSecond: Int) -> Reading {
        let afterName = stat.lastIndex(of: ")").map { stat[stat.index(after: $0)...] } ?? ""
        // Fields from the 3rd (state) on: user time is the 14th field, the 12th of these.
        let fields = afterName.split(separator: " ")
        let ticks = fields.count > 12 ? (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0) : 0
        let pages = statm.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return Reading(residentBytes: pages * pageSize, cpuSeconds: Double(ticks) / Double(max(ticksPerSecond, 1)))
    }
}

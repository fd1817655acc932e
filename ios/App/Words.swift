import FieldKit
import Foundation

/// The reason picker's order (the core's), SF Symbol and label for each `AbnormalReason`.
extension AbnormalReason {
    static let all: [AbnormalReason] = [.bruised, .rotten, .overTemperature, .wet, .crushedPackage, .missing, .wrongItem, .other]

    /// SF Symbols available on iOS 15.
    var symbol: String {
        switch self {
        case .bruised: return "burst"
        case .rotten: return "ladybug"
        case .overTemperature: return "thermometer"
        case .wet: return "drop"
        case .crushedPackage: return "shippingbox"
        case .missing: return "questionmark.square.dashed"
        case .wrongItem: return "arrow.left.arrow.right"
        case .other: return "ellipsis.circle"
        }
    }

    /// `reason_<key>` in Localizable.strings, by the core's stable key.
    var labelKey: String { "reason_\(abnormalReasonKey(reason: self))" }
}

/// Strings by the core's stable keys, from the UI language or, for speech, always zh-Hans.
struct Words {
    let bundle: Bundle

    static let screen = Words(bundle: .main)
    /// Speech is always Mandarin (the users' language), whatever language the phone's UI uses.
    static let voice = Words(bundle: Bundle.main.path(forResource: "zh-Hans", ofType: "lproj").flatMap(Bundle.init(path:)) ?? .main)

    func text(_ key: String, _ args: CVarArg...) -> String {
        String(format: bundle.localizedString(forKey: key, value: nil, table: nil), arguments: args)
    }

    /// Words for a core error key (`error_<key>`); an unknown key (a newer server) gets a
    /// generic message.
    func error(_ key: String) -> String {
        let missing = "\u{1}"
        let found = bundle.localizedString(forKey: "error_\(key)", value: missing, table: nil)
        return found == missing ? text("error_unknown") : found
    }

    /// The step's name (`step_<key>`).
    func step(_ step: BizStep) -> String { text("step_\(bizStepKey(step: step))") }

    func reason(_ reason: AbnormalReason) -> String { text(reason.labelKey) }
}

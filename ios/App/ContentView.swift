import FieldKit
import SwiftUI

// Colours people already read as "fine" and "wrong", dark enough for white text in sunlight.
private let normalColor = Color(red: 0x1B / 255, green: 0x7F / 255, blue: 0x3B / 255)
private let abnormalColor = Color(red: 0xC6 / 255, green: 0x28 / 255, blue: 0x28 / 255)

/// The whole app: badge on top, camera or buttons in the middle, error and undo at the bottom.
/// Mirrors Screens.kt.
struct ContentView: View {
    @ObservedObject var model: AppModel

    var body: some View {
        VStack(spacing: 0) {
            HStack {
                Text("app_name").font(.title2)
                Spacer()
                if model.step != .enroll && model.step != .loading {
                    OfflineBadge(pending: model.pending, offline: model.offline)
                }
            }
            .padding()
            ZStack {
                // Kept running behind the buttons: restarting a capture session takes a moment.
                CameraPreview(session: model.camera.session).ignoresSafeArea(edges: .horizontal)
                switch model.step {
                case .loading: ProgressView()
                case .enroll: Hint(text: "enroll_hint")
                case .scanning: Hint(text: "scan_hint")
                case .scanned(let info): Panel { ScannedButtons(info: info, model: model) }
                case .reasons: Panel { ReasonPicker(model: model) }
                }
            }
            if let message = model.message {
                Text(message).font(.title3).foregroundColor(.white)
                    .frame(maxWidth: .infinity, alignment: .leading).padding().background(abnormalColor)
            }
            if let receipt = model.undoable, let until = receipt.undoUntilMs {
                UndoBar(until: until) { model.undo() }
            }
        }
    }
}

private struct Hint: View {
    let text: LocalizedStringKey

    var body: some View {
        VStack {
            Spacer()
            Text(text).font(.title2).foregroundColor(.white).padding().background(Color.black.opacity(0.6))
        }
    }
}

private struct Panel<Content: View>: View {
    @ViewBuilder let content: Content

    var body: some View {
        VStack(spacing: 16) { content }
            .padding()
            .frame(maxWidth: .infinity, maxHeight: .infinity)
            .background(Color(.systemBackground))
    }
}

/// 正常 / 异常: full width, at least 96 pt high, colour and symbol as well as the word.
private struct ScannedButtons: View {
    let info: ScanInfo
    let model: AppModel

    var body: some View {
        Text(info.lot?.product ?? info.code).font(.largeTitle.bold())
        if let farm = info.farm { Text(farm.name).font(.title2) }
        Spacer()
        BigButton(title: "normal", symbol: "checkmark", color: normalColor, action: { model.reportNormal() })
        BigButton(title: "abnormal", symbol: "xmark", color: abnormalColor, action: { model.chooseReason() })
        Button { model.cancel() } label: {
            Text("scan_again").font(.title2).frame(maxWidth: .infinity, minHeight: 64)
        }
        .buttonStyle(.bordered)
    }
}

private struct BigButton: View {
    let title: LocalizedStringKey
    let symbol: String
    let color: Color
    let action: @MainActor () -> Void

    var body: some View {
        Button { action() } label: {
            HStack(spacing: 16) {
                Image(systemName: symbol).font(.system(size: 48, weight: .bold))
                Text(title).font(.system(size: 40, weight: .bold))
            }
            .frame(maxWidth: .infinity, minHeight: 96)
            .foregroundColor(.white)
            .background(color)
            .cornerRadius(16)
        }
    }
}

/// One large tile per reason, in the core's order; the label is there for who can read it.
private struct ReasonPicker: View {
    let model: AppModel

    var body: some View {
        ScrollView {
            LazyVGrid(columns: [GridItem(.flexible(), spacing: 12), GridItem(.flexible(), spacing: 12)], spacing: 12) {
                ForEach(AbnormalReason.all, id: \.self) { reason in
                    Button { model.reportAbnormal(reason) } label: {
                        VStack(spacing: 8) {
                            Image(systemName: reason.symbol).font(.system(size: 56))
                            Text(LocalizedStringKey(reason.labelKey)).font(.title3)
                        }
                        .frame(maxWidth: .infinity, minHeight: 120)
                        .foregroundColor(.white)
                        .background(abnormalColor)
                        .cornerRadius(16)
                    }
                }
            }
        }
        Button { model.cancel() } label: {
            Text("back").font(.title2).frame(maxWidth: .infinity, minHeight: 64)
        }
        .buttonStyle(.bordered)
    }
}

/// Reports waiting for the network; a crossed-out cloud when the last sync failed.
private struct OfflineBadge: View {
    let pending: Int64
    let offline: Bool

    var body: some View {
        HStack(spacing: 8) {
            Image(systemName: pending == 0 ? "checkmark.icloud" : offline ? "icloud.slash" : "icloud.and.arrow.up")
                .font(.title2)
            if pending == 0 {
                Text("all_synced").font(.title3)
            } else {
                Text(String(format: NSLocalizedString("pending_count", comment: ""), pending)).font(.title3)
            }
        }
    }
}

/// Undo until the core's window closes, with the seconds left.
private struct UndoBar: View {
    let until: Int64
    let onUndo: @MainActor () -> Void

    var body: some View {
        TimelineView(.periodic(from: .now, by: 0.25)) { context in
            let left = max(0, Int64(ceil(Double(until) / 1000 - context.date.timeIntervalSince1970)))
            HStack {
                Text("saved").font(.title3).foregroundColor(.white)
                Spacer()
                Button { onUndo() } label: {
                    Text(String(format: NSLocalizedString("undo_seconds", comment: ""), left))
                        .font(.title3).frame(minHeight: 64)
                }
                .buttonStyle(.borderedProminent)
            }
            .padding(12)
            .background(Color.black.opacity(0.85))
        }
    }
}

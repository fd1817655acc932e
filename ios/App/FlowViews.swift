import FieldKit
import SwiftUI
import UIKit

private let good = Color(red: 0x1B / 255, green: 0x7F / 255, blue: 0x3B / 255)
private let warn = Color(red: 0xC6 / 255, green: 0x28 / 255, blue: 0x28 / 255)

/// The app with the role's screens as tabs (mirrors AppScreen in FlowScreens.kt).
struct RootView: View {
    @ObservedObject var reports: AppModel
    @ObservedObject var flows: FlowsModel

    var body: some View {
        VStack(spacing: 0) {
            if flows.modes.count > 1 {
                Picker("", selection: Binding(get: { flows.mode }, set: { flows.show($0) })) {
                    ForEach(flows.modes) { Text(LocalizedStringKey($0.labelKey)).tag($0) }
                }
                .pickerStyle(.segmented).padding(.horizontal)
            }
            switch flows.mode {
            case .report: ContentView(model: reports)
            case .loading: LoadingView(flows: flows, camera: reports.camera)
            case .handover: HandoverView(flows: flows, camera: reports.camera)
            case .delivery: DeliveryView(flows: flows, camera: reports.camera)
            case .pieces: PiecesView(flows: flows)
            }
            if flows.mode != .report, let message = flows.message { Banner(text: message, color: warn) }
        }
        .onAppear { flows.refreshModes() }
        .onChange(of: reports.step == .enroll) { _ in flows.refreshModes() }
    }
}

private struct Banner: View {
    let text: String
    let color: Color
    var body: some View {
        Text(text).font(.title2.bold()).foregroundColor(.white)
            .frame(maxWidth: .infinity, alignment: .leading).padding().background(color)
    }
}

private struct Wide: View {
    let title: LocalizedStringKey
    var color: Color = .accentColor
    let action: () -> Void
    var body: some View {
        Button(action: action) { Text(title).font(.title2).frame(maxWidth: .infinity, minHeight: 64) }
            .buttonStyle(.borderedProminent).tint(color)
    }
}

/// Camera on top, the screen's panel below.
private struct CameraAnd<Panel: View>: View {
    let camera: Camera
    @ViewBuilder let panel: () -> Panel
    var body: some View {
        VStack(spacing: 0) {
            CameraPreview(session: camera.session).frame(maxHeight: 260)
            ScrollView { VStack(alignment: .leading, spacing: 12) { panel() }.padding() }
        }
    }
}

/// 装车: the big "已装 x / y", the missing list, a red banner on a stranger or a repeat.
struct LoadingView: View {
    @ObservedObject var flows: FlowsModel
    let camera: Camera
    @State private var typed = ""
    @State private var note = ""

    var body: some View {
        CameraAnd(camera: camera) {
            if flows.trip == nil {
                Text("trip_hint").font(.title3)
                TextField("", text: $typed).textFieldStyle(.roundedBorder)
                Wide(title: "trip_start") { flows.startLoading(typed) }
            } else if let building = flows.building {
                Text("build_manifest_hint").font(.title3)
                Text(Words.screen.text("manifest_size", building.count)).font(.largeTitle.bold())
                Wide(title: "save_manifest") { flows.saveManifest() }
            } else if let p = flows.progress {
                Text(Words.screen.text("loaded_of", Int(p.loaded), Int(p.expected)))
                    .font(.system(size: 52, weight: .bold)).foregroundColor(p.missing.isEmpty ? good : .primary)
                if let last = flows.lastLoad, last.outcome != .loaded {
                    Banner(text: Words.screen.text(last.outcome == .notOnManifest ? "warn_not_on_manifest" : "warn_already_loaded") + " " + last.code,
                           color: warn)
                }
                if !p.missing.isEmpty {
                    Text("missing_title").font(.title3.bold())
                    ForEach(p.missing, id: \.self) { Text($0) }
                }
                if !p.offManifest.isEmpty {
                    Text("off_manifest_title").font(.title3.bold()).foregroundColor(warn)
                    ForEach(p.offManifest, id: \.self) { Text($0).foregroundColor(warn) }
                }
                if let departed = flows.departed {
                    Banner(text: Words.screen.text("departed", Int(departed.progress.loaded), Int(departed.progress.expected)), color: good)
                } else {
                    TextField("", text: $note).textFieldStyle(.roundedBorder)
                    Wide(title: "depart", color: good) { flows.depart(note: note) }
                }
            }
        }
    }
}

/// 交接: the offer or receipt QR big on screen, or the camera with the box-by-box check.
struct HandoverView: View {
    @ObservedObject var flows: FlowsModel
    let camera: Camera

    var body: some View {
        VStack(spacing: 0) {
            if flows.alarm { Banner(text: Words.screen.text("untrusted_warning"), color: warn) }
            switch flows.handoverStep {
            case .offered(let offer):
                QrPanel(text: offer.qrText, hint: "show_offer_hint")
                CameraPreview(session: camera.session).frame(maxHeight: 180)
            case .accepted(let acceptance):
                QrPanel(text: acceptance.qrText, hint: "show_receipt_hint")
            default:
                CameraAnd(camera: camera) { panel }
            }
        }
    }

    @ViewBuilder private var panel: some View {
        HStack {
            Button("give") { flows.startGiving() }.buttonStyle(.bordered)
            Button("receive") { flows.startReceiving() }.buttonStyle(.bordered)
        }
        switch flows.handoverStep {
        case .collecting(let codes):
            Text(Words.screen.text("boxes_scanned", codes.count)).font(.largeTitle.bold())
            Wide(title: "make_offer") { flows.offer() }
        case .filed(let receipt):
            Banner(text: Words.screen.text("receipt_filed", Int(receipt.received), Int(receipt.offered), receipt.receiverPartyId), color: good)
        case .waitingForOffer:
            Text("scan_offer_hint").font(.title2)
        case .checking(let review, let progress):
            Text(Words.screen.text("offer_from", review.giverPartyId, review.codes.count))
            Text(Words.screen.text("checked_of", Int(progress?.checked ?? 0), review.codes.count, Int(progress?.abnormal ?? 0)))
                .font(.largeTitle.bold())
            if let progress {
                Text("last_box_problem")
                HStack {
                    ForEach([AbnormalReason.crushedPackage, .rotten, .wet, .other], id: \.self) { reason in
                        Button(Words.screen.reason(reason)) { flows.markLastAbnormal(reason) }.buttonStyle(.borderedProminent).tint(warn)
                    }
                }
                ForEach(progress.unchecked, id: \.self) { Text($0) }
            }
            Wide(title: "accept", color: good) { flows.accept() }
        default:
            EmptyView()
        }
    }
}

/// A QR big enough for another phone's camera, drawn from the core's modules (`qrCode`).
private struct QrPanel: View {
    let text: String
    let hint: LocalizedStringKey

    var body: some View {
        VStack {
            Text(hint).font(.title3).foregroundColor(.black)
            if let image = Self.image(text) {
                Image(uiImage: image).interpolation(.none).resizable().scaledToFit()
            }
        }
        .padding().background(Color.white)
    }

    static func image(_ text: String) -> UIImage? {
        guard let qr = try? qrCode(text: text) else { return nil }
        let side = Int(qr.side)
        let renderer = UIGraphicsImageRenderer(size: CGSize(width: side, height: side))
        return renderer.image { context in
            UIColor.white.setFill()
            context.fill(CGRect(x: 0, y: 0, width: side, height: side))
            UIColor.black.setFill()
            for y in 0..<side { for x in 0..<side where qr.dark[y * side + x] { context.fill(CGRect(x: x, y: y, width: 1, height: 1)) } }
        }
    }
}

/// 送达: the recipient's name, an optional photo, confirm.
struct DeliveryView: View {
    @ObservedObject var flows: FlowsModel
    let camera: Camera
    @State private var picking = false

    var body: some View {
        CameraAnd(camera: camera) {
            Text("trip_hint")
            TextField("", text: $flows.deliveryTrip).textFieldStyle(.roundedBorder)
            Text("recipient_hint")
            TextField("", text: $flows.recipient).textFieldStyle(.roundedBorder)
            if !flows.deliveryScans.isEmpty { Text(Words.screen.text("boxes_scanned", flows.deliveryScans.count)) }
            Button { picking = true } label: {
                Text(Words.screen.text("take_photo") + " · " + Words.screen.text("photos_taken", flows.photos.count))
            }
            .buttonStyle(.bordered)
            if let done = flows.delivered {
                Banner(text: Words.screen.text("delivered", done.units.count, done.recipient), color: good)
            } else {
                Wide(title: "confirm_delivery", color: good) { flows.confirmDelivery() }
            }
        }
        .sheet(isPresented: $picking) {
            PhotoPicker { image in
                if let jpeg = image.jpegData(compressionQuality: 0.95) { flows.addPhoto(jpeg) }
            }
        }
    }
}

/// The system camera for one photo (UIImagePickerController: available on iOS 15, no extra permission UI).
private struct PhotoPicker: UIViewControllerRepresentable {
    let onImage: (UIImage) -> Void
    @Environment(\.dismiss) private var dismiss

    func makeUIViewController(context: Context) -> UIImagePickerController {
        let picker = UIImagePickerController()
        picker.sourceType = UIImagePickerController.isSourceTypeAvailable(.camera) ? .camera : .photoLibrary
        picker.delegate = context.coordinator
        return picker
    }

    func updateUIViewController(_ controller: UIImagePickerController, context: Context) {}

    func makeCoordinator() -> Coordinator { Coordinator(self) }

    final class Coordinator: NSObject, UIImagePickerControllerDelegate, UINavigationControllerDelegate {
        let parent: PhotoPicker
        init(_ parent: PhotoPicker) { self.parent = parent }

        func imagePickerController(_ picker: UIImagePickerController, didFinishPickingMediaWithInfo info: [UIImagePickerController.InfoKey: Any]) {
            if let image = info[.originalImage] as? UIImage { parent.onImage(image) }
            parent.dismiss()
        }

        func imagePickerControllerDidCancel(_ picker: UIImagePickerController) { parent.dismiss() }
    }
}

/// 计件: this month's pieces per day, what the assistant is paid for.
struct PiecesView: View {
    @ObservedObject var flows: FlowsModel

    var body: some View {
        ScrollView {
            VStack(alignment: .leading, spacing: 12) {
                Text(Words.screen.text("pieces_title", flows.month)).font(.title2)
                Text(Words.screen.text("pieces_total", Int(flows.pieces?.total ?? 0))).font(.system(size: 44, weight: .bold))
                ForEach(flows.pieces?.days ?? [], id: \.date) { day in
                    Text(Words.screen.text("pieces_day", day.date, Int(day.pieces))).font(.title3)
                }
                HStack {
                    Button("prev_month") { flows.shiftMonth(by: -1) }.buttonStyle(.bordered)
                    Button("next_month") { flows.shiftMonth(by: 1) }.buttonStyle(.bordered)
                }
            }
            .padding()
        }
    }
}

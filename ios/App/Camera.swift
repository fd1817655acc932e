import AVFoundation
import FieldKit
import SwiftUI

/// The back camera with a Y-plane delegate: 420f buffers (bi-planar, full range), of which only
/// plane 0 (luma) and its bytesPerRow go to the core, so no RGB conversion happens. Mirrors
/// LumaAnalyzer.kt: one frame decoded at a time, frames arriving meanwhile dropped.
final class Camera: NSObject, AVCaptureVideoDataOutputSampleBufferDelegate, @unchecked Sendable {
    let session = AVCaptureSession()
    /// Whether the screen wants codes now (false while the buttons are shown).
    let active = Flag(true)
    /// Called on the main actor with each decoded text.
    var onText: (@MainActor (String) -> Void)?

    private let queue = DispatchQueue(label: "org.fieldtrace.camera")
    private let scanner = FrameScanner()
    private let busy = Flag(false)
    private var configured = false

    func start() {
        AVCaptureDevice.requestAccess(for: .video) { granted in
            guard granted else { return }
            self.queue.async {
                if !self.configured { self.configure() }
                if !self.session.isRunning { self.session.startRunning() }
            }
        }
    }

    func stop() {
        queue.async { self.session.stopRunning() }
    }

    private func configure() {
        configured = true
        session.beginConfiguration()
        defer { session.commitConfiguration() }
        // 720p: enough pixels per module for small labels at arm's length, few enough to decode
        // several frames a second on an older iPhone (the same as the Android shell).
        session.sessionPreset = .hd1280x720
        guard let device = AVCaptureDevice.default(.builtInWideAngleCamera, for: .video, position: .back),
              let input = try? AVCaptureDeviceInput(device: device), session.canAddInput(input) else { return }
        session.addInput(input)
        let output = AVCaptureVideoDataOutput()
        output.videoSettings = [kCVPixelBufferPixelFormatTypeKey as String: kCVPixelFormatType_420YpCbCr8BiPlanarFullRange]
        // Like CameraX's STRATEGY_KEEP_ONLY_LATEST: a slow decode never builds a queue of old frames.
        output.alwaysDiscardsLateVideoFrames = true
        output.setSampleBufferDelegate(self, queue: queue)
        if session.canAddOutput(output) { session.addOutput(output) }
    }

    func captureOutput(_ output: AVCaptureOutput, didOutput sampleBuffer: CMSampleBuffer, from connection: AVCaptureConnection) {
        guard active.value, busy.acquire() else { return }
        guard let pixels = CMSampleBufferGetImageBuffer(sampleBuffer),
              // The one copy, here: AVFoundation reuses the buffer after this method returns.
              let frame = LumaFrame(copying: pixels) else { return busyDone() }
        Task {
            defer { busyDone() }
            // The sensor image is landscape; the app is portrait: 90°, as CameraX reports it.
            switch await scanner.decode(frame, rotationDegrees: 90) {
            case .found(let codes):
                guard active.value, let text = codes.first?.text else { return }
                await MainActor.run { self.onText?(text) }
            case .nothingFound:
                break
            case .unusable(let error):
                // A geometry bug in this class, not the user's doing: keep the camera running.
                NSLog("FieldTrace: frame unusable: %@", error.key)
            }
        }
    }

    private func busyDone() { busy.value = false }
}

/// A Bool shared between the camera queue, decode tasks and the main actor.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var state: Bool

    init(_ value: Bool) { state = value }

    var value: Bool {
        get { lock.lock(); defer { lock.unlock() }; return state }
        set { lock.lock(); state = newValue; lock.unlock() }
    }

    /// Sets the flag if it was clear; returns whether it did (whether the caller now owns it).
    func acquire() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard !state else { return false }
        state = true
        return true
    }
}

/// The camera image behind the screen.
struct CameraPreview: UIViewRepresentable {
    let session: AVCaptureSession

    final class PreviewView: UIView {
        override class var layerClass: AnyClass { AVCaptureVideoPreviewLayer.self }
        var previewLayer: AVCaptureVideoPreviewLayer { layer as! AVCaptureVideoPreviewLayer }
    }

    func makeUIView(context: Context) -> PreviewView {
        let view = PreviewView()
        view.previewLayer.session = session
        view.previewLayer.videoGravity = .resizeAspectFill
        return view
    }

    func updateUIView(_ view: PreviewView, context: Context) {}
}

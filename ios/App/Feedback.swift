import AVFoundation
import UIKit

/// Voice and vibration: many users read little and work with gloves on, so every scan and every
/// saved report is spoken and felt, not only shown. Mirrors Feedback.kt.
@MainActor
final class Feedback {
    private let synthesizer = AVSpeechSynthesizer()
    private let voice = AVSpeechSynthesisVoice(language: "zh-CN")
    private let haptics = UINotificationFeedbackGenerator()

    /// Says `text`, cutting off what was being said: the latest tap is what matters. Without a
    /// Mandarin voice, stays silent rather than mispronounce in another language.
    func say(_ text: String) {
        guard let voice else { return }
        synthesizer.stopSpeaking(at: .immediate)
        let utterance = AVSpeechUtterance(string: text)
        utterance.voice = voice
        // A little slower than the default: older listeners, noisy packing sheds.
        utterance.rate = AVSpeechUtteranceDefaultSpeechRate * 0.9
        synthesizer.speak(utterance)
    }

    /// Saved.
    func confirm() { haptics.notificationOccurred(.success) }

    /// Saved as abnormal, or undone: a different feel from the normal confirmation.
    func confirmTwice() { haptics.notificationOccurred(.warning) }

    /// Something went wrong: look at the screen.
    func error() { haptics.notificationOccurred(.error) }
}

package org.fieldtrace.app

import android.content.Context
import android.content.res.Configuration
import android.os.Build
import android.os.VibrationEffect
import android.os.Vibrator
import android.os.VibratorManager
import android.speech.tts.TextToSpeech
import java.util.Locale

/**
 * Voice and vibration: many users read little and work with gloves on, so every scan and every
 * saved report is spoken and felt, not only shown.
 */
class Feedback(context: Context) : AutoCloseable {
    /** Speech is always Mandarin (the users' language), whatever language the phone's UI uses. */
    val voice: Context = context.createConfigurationContext(
        Configuration(context.resources.configuration).apply { setLocale(Locale.SIMPLIFIED_CHINESE) },
    )

    @Volatile private var ready = false

    // lateinit: the init listener refers to the engine it is passed to.
    private lateinit var tts: TextToSpeech

    init {
        tts = TextToSpeech(context.applicationContext) { status ->
            // Without a Mandarin voice, stay silent rather than mispronounce in another language.
            ready = status == TextToSpeech.SUCCESS &&
                tts.setLanguage(Locale.SIMPLIFIED_CHINESE) >= TextToSpeech.LANG_AVAILABLE
        }
    }

    // getSystemService is @Nullable: a device without the service (some tablets, emulators)
    // gets no vibration, and speech still confirms.
    private val vibrator: Vibrator? =
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.S) {
            context.getSystemService(VibratorManager::class.java)?.defaultVibrator
        } else {
            @Suppress("DEPRECATION")
            context.getSystemService(Vibrator::class.java)
        }

    /** Says [text], cutting off what was being said: the latest tap is what matters. */
    fun say(text: String) {
        if (ready) tts.speak(text, TextToSpeech.QUEUE_FLUSH, null, "fieldtrace")
    }

    /** One short pulse: saved. */
    fun confirm() {
        vibrator?.vibrate(VibrationEffect.createOneShot(60, VibrationEffect.DEFAULT_AMPLITUDE))
    }

    /** Two pulses: saved as abnormal, or undone: a different feel from the normal confirmation. */
    fun confirmTwice() {
        vibrator?.vibrate(VibrationEffect.createWaveform(longArrayOf(0, 60, 80, 60), -1))
    }

    /** One long pulse: something went wrong, look at the screen. */
    fun error() {
        vibrator?.vibrate(VibrationEffect.createOneShot(400, VibrationEffect.DEFAULT_AMPLITUDE))
    }

    override fun close() {
        tts.shutdown()
    }
}

package org.fieldtrace.app

import android.app.Application
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.viewModelScope

/**
 * Keeps the screen's [ScanController] across configuration changes: the controller runs in the
 * view model's scope and its voice engine is shut down with it.
 */
class ScanViewModel(app: Application) : AndroidViewModel(app) {
    private val feedback = Feedback(app)

    val screen = ScanController(
        fieldApp = app as FieldTraceApp,
        scope = viewModelScope,
        feedback = feedback,
        syncSoon = { SyncWorker.syncSoon(app) },
    )

    override fun onCleared() {
        feedback.close()
    }
}

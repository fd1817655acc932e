package org.fieldtrace.app

import android.app.Application
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.viewModelScope

/**
 * Keeps the screen's [ScanController] (and the flows' [FlowsController]) across configuration changes: the controller runs in the
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

    /** The driver's and assistant's screens; camera texts go to whichever is on show. */
    val flows = FlowsController(app as FieldTraceApp, viewModelScope, feedback, screen)

    override fun onCleared() {
        feedback.close()
    }
}

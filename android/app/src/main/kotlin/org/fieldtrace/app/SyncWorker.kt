package org.fieldtrace.app

import android.content.Context
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.ExistingPeriodicWorkPolicy
import androidx.work.ExistingWorkPolicy
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequestBuilder
import androidx.work.PeriodicWorkRequestBuilder
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import java.util.concurrent.TimeUnit

/**
 * Syncs when a network appears. WorkManager survives reboots and Doze, so reports made in a
 * field without signal go out once the phone reaches the village, with the app closed.
 */
class SyncWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result = when ((applicationContext as FieldTraceApp).syncOnce()) {
        SyncOutcome.DONE -> Result.success()
        SyncOutcome.RETRY -> Result.retry()
        SyncOutcome.FAILED -> Result.failure()
    }

    companion object {
        private const val PERIODIC = "fieldtrace-sync-periodic"
        private const val ONCE = "fieldtrace-sync-once"

        private val online = Constraints.Builder().setRequiredNetworkType(NetworkType.CONNECTED).build()

        /** When the app opens: a periodic sync (catch-up pulls) plus one as soon as there is a network. */
        fun schedule(context: Context) {
            val work = WorkManager.getInstance(context)
            work.enqueueUniquePeriodicWork(
                PERIODIC,
                ExistingPeriodicWorkPolicy.KEEP,
                PeriodicWorkRequestBuilder<SyncWorker>(15, TimeUnit.MINUTES).setConstraints(online).build(),
            )
            syncSoon(context)
        }

        /** After a report: push it once a network is there (KEEP: one waiting request is enough). */
        fun syncSoon(context: Context) {
            WorkManager.getInstance(context).enqueueUniqueWork(
                ONCE,
                ExistingWorkPolicy.KEEP,
                OneTimeWorkRequestBuilder<SyncWorker>().setConstraints(online).build(),
            )
        }
    }
}

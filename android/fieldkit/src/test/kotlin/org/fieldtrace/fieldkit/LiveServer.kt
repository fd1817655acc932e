package org.fieldtrace.fieldkit

import java.io.File
import java.net.HttpURLConnection
import java.net.ServerSocket
import java.net.URI
import java.util.concurrent.TimeUnit

/**
 * A real `fieldtrace serve` on a free loopback port over a database in [dir], with a co-op made
 * by the operator CLI; [token] mints enrollment QR texts. [close] stops it.
 */
class LiveServer(private val dir: File, private val coop: String) : AutoCloseable {
    private val bin = File(System.getProperty("fieldtrace.bin") ?: error("fieldtrace.bin not set (run test.sh)"))
    private val db = File(dir, "server.db")
    val port = ServerSocket(0).use { it.localPort }
    private val process: Process

    init {
        check(bin.canExecute()) { "$bin missing: cargo build -p fieldtrace-cli" }
        cli("coop", "--db", db.path, coop, "周至猕猴桃合作社")
        process = ProcessBuilder(bin.path, "serve", "--db", db.path, "--listen", "127.0.0.1:$port")
            .redirectErrorStream(true)
            .redirectOutput(File(dir, "server.log"))
            .start()
        val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20)
        while (!healthy()) {
            check(process.isAlive) { "server exited: ${File(dir, "server.log").readText()}" }
            check(System.nanoTime() < deadline) { "server not up on port $port" }
            Thread.sleep(50)
        }
    }

    private fun cli(vararg args: String): String {
        val child = ProcessBuilder(bin.path, *args).redirectErrorStream(true).start()
        val output = child.inputStream.bufferedReader().readText()
        check(child.waitFor(30, TimeUnit.SECONDS)) { "fieldtrace ${args.first()} hung" }
        check(child.exitValue() == 0) { "fieldtrace ${args.toList()}: $output" }
        return output.trim()
    }

    /** A one-time enrollment QR text for [party] in [role] (`farmer`, `driver`, …). */
    fun token(party: String, role: String): String =
        cli("token", "--db", db.path, "--coop", coop, "--party", party, "--role", role,
            "--server-url", "http://127.0.0.1:$port/").lines().last { it.isNotBlank() }

    private fun healthy(): Boolean = try {
        val connection = URI("http://127.0.0.1:$port/v1/health").toURL().openConnection() as HttpURLConnection
        connection.connectTimeout = 500
        connection.readTimeout = 500
        try {
            connection.responseCode == 200
        } finally {
            connection.disconnect()
        }
    } catch (_: java.io.IOException) {
        false
    }

    override fun close() {
        process.destroy()
        if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly().waitFor()
    }
}

package sherwood.harness;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Standard output, which carries only JSON: one object per line, each with a "type". Client
 * callbacks emit from the client's I/O thread, so every method is synchronized. Lines are
 * buffered and a daemon thread flushes them every 10 ms, so a test sees a line while the command
 * still runs without a write per line (which made 10,000 delivery reports four times slower);
 * the command runner also flushes at the end of each command.
 */
final class Out {
    private static final long FLUSH_INTERVAL_MS = 10;

    private final PrintStream ps;
    private boolean dirty;

    Out(PrintStream ps) {
        this.ps = ps;
        Thread flusher = new Thread(this::flushLoop, "harness-stdout-flusher");
        flusher.setDaemon(true);
        flusher.start();
    }

    static Out stdout() {
        // Nothing else may write to stdout: point System.out at stderr for any stray println.
        PrintStream real = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16), false, StandardCharsets.UTF_8);
        System.setOut(System.err);
        return new Out(real);
    }

    synchronized void emit(Map<String, Object> line) {
        ps.print(Json.write(line));
        ps.print('\n');
        dirty = true;
    }

    synchronized void flush() {
        ps.flush();
        dirty = false;
    }

    private void flushLoop() {
        for (;;) {
            try {
                Thread.sleep(FLUSH_INTERVAL_MS);
            } catch (InterruptedException e) {
                return;
            }
            synchronized (this) {
                if (dirty) flush();
            }
        }
    }
}

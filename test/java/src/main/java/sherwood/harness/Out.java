package sherwood.harness;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Standard output, which carries only JSON: one object per line, each with a "type". Client
 * callbacks emit from the client's I/O thread, so every method is synchronized. Buffered; the
 * command runner flushes at the end of each command (and a producer's delivery reports are all
 * in before its summary line, since flush() returns after the last callback).
 */
final class Out {
    private final PrintStream ps;

    Out(PrintStream ps) {
        this.ps = ps;
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
    }

    synchronized void flush() {
        ps.flush();
    }
}

package sherwood.harness;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.common.protocol.ApiKeys;

/**
 * Entry point of the Java client harness (test/helpers/java.ts runs it).
 *
 *   Main produce|consume|admin OP|version [--option=value ...] [client.property=value ...]
 *       runs one command; stdout is JSON lines (see Out), the exit status 0 when the command ran
 *       to the end (client errors such as a failed delivery are reported as data in its lines),
 *       1 after a {"type":"error"} line (bad arguments, or an exception the command did not
 *       expect).
 *   Main shell
 *       reads commands from stdin, one JSON array of strings per line (the same words, options
 *       and properties), runs them one after the other in this JVM and ends each command's
 *       output with {"type":"end","ok":true|false}; exits at end of input. One JVM start-up
 *       (~0.5 s, plus the client's class loading) for many commands.
 *
 * Commands: ProduceCommand, ConsumeCommand, AdminCommand; "version" prints the client version;
 * "api-keys" the version range of every broker API the client implements (its ApiKeys), as
 * {"type":"api-keys","apis":[{"name","apiKey","oldest","latest"}]} ("latest" = newest stable).
 */
public final class Main {
    private Main() {}

    public static void main(String[] argv) throws Exception {
        Out out = Out.stdout();
        int status;
        if (argv.length == 1 && argv[0].equals("shell")) {
            status = shell(out);
        } else {
            status = run(List.of(argv), out) ? 0 : 1;
        }
        out.flush();
        System.exit(status);
    }

    private static int shell(Out out) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null;) {
            if (line.isBlank()) continue;
            boolean ok;
            try {
                ok = run(Json.parseStringArray(line), out);
            } catch (IllegalArgumentException e) {
                out.emit(Json.obj("type", "error", "error", Errors.describe(e)));
                ok = false;
            }
            out.emit(Json.obj("type", "end", "ok", ok));
            out.flush();
        }
        return 0;
    }

    /** kafka-clients' own version file (what its AppInfoParser reads; that class is internal). */
    private static java.util.Properties kafkaVersion() throws java.io.IOException {
        java.util.Properties p = new java.util.Properties();
        try (var in = Main.class.getResourceAsStream("/kafka/kafka-version.properties")) {
            if (in != null) p.load(in);
        }
        return p;
    }

    /** Runs one command; false after reporting an error line. */
    static boolean run(List<String> tokens, Out out) {
        try {
            Args a = Args.parse(tokens);
            String command = a.word(0, "command (produce, consume, admin, version, api-keys)");
            switch (command) {
                case "produce" -> ProduceCommand.run(a, out);
                case "consume" -> ConsumeCommand.run(a, out);
                case "admin" -> AdminCommand.run(a, out);
                case "version" -> {
                    a.expect(1, java.util.Set.of());
                    out.emit(Json.obj("type", "version", "kafkaClients", kafkaVersion().getProperty("version"),
                        "commitId", kafkaVersion().getProperty("commitId"), "java", System.getProperty("java.version")));
                }
                case "api-keys" -> {
                    a.expect(1, java.util.Set.of());
                    java.util.List<Object> apis = new java.util.ArrayList<>();
                    for (ApiKeys k : ApiKeys.brokerApis()) {
                        apis.add(Json.obj("name", k.name, "apiKey", (int) k.id, "oldest", (int) k.oldestVersion(), "latest", (int) k.latestVersion(false)));
                    }
                    out.emit(Json.obj("type", "api-keys", "apis", apis));
                }
                default -> throw new IllegalArgumentException("unknown command '" + command + "'");
            }
            return true;
        } catch (Throwable t) {
            out.emit(Json.obj("type", "error", "error", Errors.describe(t)));
            return false;
        } finally {
            out.flush();
        }
    }
}

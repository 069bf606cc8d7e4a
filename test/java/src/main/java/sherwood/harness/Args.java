package sherwood.harness;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * One command's arguments, in three kinds:
 *   words             `admin describe-topics`: the command and its operation;
 *   --option[=value]  the tool's own options (a bare --flag is "true"; options may repeat);
 *   key=value         client configuration, passed to the Kafka client as is (bootstrap.servers,
 *                     acks, enable.idempotence, isolation.level, ...).
 * A tool declares the options it knows first (expect), so a misspelt option fails loudly
 * instead of being ignored.
 */
final class Args {
    final List<String> words = new ArrayList<>();
    private final Map<String, List<String>> options = new LinkedHashMap<>();
    private final Properties props = new Properties();

    static Args parse(List<String> tokens) {
        Args a = new Args();
        for (String t : tokens) {
            if (t.startsWith("--")) {
                int eq = t.indexOf('=');
                String name = eq < 0 ? t.substring(2) : t.substring(2, eq);
                String value = eq < 0 ? "true" : t.substring(eq + 1);
                a.options.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
            } else if (t.indexOf('=') > 0) {
                int eq = t.indexOf('=');
                a.props.setProperty(t.substring(0, eq), t.substring(eq + 1));
            } else {
                a.words.add(t);
            }
        }
        return a;
    }

    String word(int i, String what) {
        if (i >= words.size()) throw new IllegalArgumentException("missing " + what);
        return words.get(i);
    }

    /** Fails on an option outside `known` and on extra words beyond `wordCount`. */
    void expect(int wordCount, Set<String> known) {
        for (String name : options.keySet()) {
            if (!known.contains(name)) throw new IllegalArgumentException("unknown option --" + name + " for '" + String.join(" ", words) + "' (known: " + known + ")");
        }
        if (words.size() > wordCount) throw new IllegalArgumentException("unexpected argument '" + words.get(wordCount) + "'");
    }

    boolean has(String name) {
        return options.containsKey(name);
    }

    String get(String name, String dflt) {
        List<String> vs = options.get(name);
        return vs == null ? dflt : vs.get(vs.size() - 1);
    }

    String require(String name) {
        String v = get(name, null);
        if (v == null) throw new IllegalArgumentException("--" + name + " is required");
        return v;
    }

    List<String> all(String name) {
        return options.getOrDefault(name, List.of());
    }

    /** Comma-separated values of every occurrence: --topic=a,b --topic=c gives [a, b, c]. */
    List<String> list(String name) {
        List<String> out = new ArrayList<>();
        for (String v : all(name)) for (String s : v.split(",")) if (!s.isEmpty()) out.add(s);
        return out;
    }

    int getInt(String name, int dflt) {
        String v = get(name, null);
        return v == null ? dflt : Integer.parseInt(v);
    }

    long getLong(String name, long dflt) {
        String v = get(name, null);
        return v == null ? dflt : Long.parseLong(v);
    }

    /** A copy of the client properties. */
    Properties props() {
        Properties p = new Properties();
        p.putAll(props);
        return p;
    }
}

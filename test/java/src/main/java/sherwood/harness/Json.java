package sherwood.harness;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The little JSON the harness needs: writing maps, lists, strings, numbers, booleans and null
 * (one object per output line), and reading one command line of the shell, a JSON array of
 * strings. No library: the harness depends on kafka-clients and a log binding only.
 */
final class Json {
    private Json() {}

    /** An ordered object from alternating keys and values: obj("type", "x", "count", 3). */
    static Map<String, Object> obj(Object... keysAndValues) {
        if (keysAndValues.length % 2 != 0) throw new IllegalArgumentException("obj: odd number of arguments");
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        return m;
    }

    static String write(Object value) {
        StringBuilder sb = new StringBuilder(128);
        append(sb, value);
        return sb.toString();
    }

    private static void append(StringBuilder sb, Object v) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof String s) {
            quote(sb, s);
        } else if (v instanceof Double d && (d.isNaN() || d.isInfinite())) {
            sb.append("null");
        } else if (v instanceof Number || v instanceof Boolean) {
            sb.append(v);
        } else if (v instanceof Map<?, ?> m) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) sb.append(',');
                first = false;
                quote(sb, String.valueOf(e.getKey()));
                sb.append(':');
                append(sb, e.getValue());
            }
            sb.append('}');
        } else if (v instanceof Collection<?> c) {
            sb.append('[');
            boolean first = true;
            for (Object o : c) {
                if (!first) sb.append(',');
                first = false;
                append(sb, o);
            }
            sb.append(']');
        } else if (v instanceof int[] a) {
            List<Integer> l = new ArrayList<>(a.length);
            for (int x : a) l.add(x);
            append(sb, l);
        } else if (v instanceof Object[] a) {
            append(sb, List.of(a));
        } else {
            quote(sb, v.toString());
        }
    }

    private static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }

    /** Parses `["a", "b\n", ...]`; anything else is an IllegalArgumentException. */
    static List<String> parseStringArray(String text) {
        List<String> out = new ArrayList<>();
        int[] pos = {skip(text, 0)};
        expect(text, pos, '[');
        pos[0] = skip(text, pos[0]);
        if (pos[0] < text.length() && text.charAt(pos[0]) == ']') {
            pos[0]++;
        } else {
            for (;;) {
                pos[0] = skip(text, pos[0]);
                out.add(string(text, pos));
                pos[0] = skip(text, pos[0]);
                if (pos[0] < text.length() && text.charAt(pos[0]) == ',') {
                    pos[0]++;
                    continue;
                }
                expect(text, pos, ']');
                break;
            }
        }
        if (skip(text, pos[0]) != text.length()) throw new IllegalArgumentException("trailing characters after the array: " + text);
        return out;
    }

    private static int skip(String s, int i) {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        return i;
    }

    private static void expect(String s, int[] pos, char c) {
        if (pos[0] >= s.length() || s.charAt(pos[0]) != c) throw new IllegalArgumentException("expected '" + c + "' at " + pos[0] + " in: " + s);
        pos[0]++;
    }

    private static String string(String s, int[] pos) {
        expect(s, pos, '"');
        StringBuilder sb = new StringBuilder();
        while (pos[0] < s.length()) {
            char c = s.charAt(pos[0]++);
            if (c == '"') return sb.toString();
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (pos[0] >= s.length()) break;
            char e = s.charAt(pos[0]++);
            switch (e) {
                case '"', '\\', '/' -> sb.append(e);
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    if (pos[0] + 4 > s.length()) throw new IllegalArgumentException("short \\u escape in: " + s);
                    sb.append((char) Integer.parseInt(s.substring(pos[0], pos[0] + 4), 16));
                    pos[0] += 4;
                }
                default -> throw new IllegalArgumentException("bad escape \\" + e + " in: " + s);
            }
        }
        throw new IllegalArgumentException("unterminated string in: " + s);
    }
}

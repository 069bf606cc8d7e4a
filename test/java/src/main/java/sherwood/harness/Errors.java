package sherwood.harness;

import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Exceptions as data: the client's exception class (UnsupportedVersionException,
 * TopicExistsException, ...) is what tests compare with Kafka's behaviour, so it is reported by
 * its simple name, with the message and the chain of causes.
 */
final class Errors {
    private Errors() {}

    static Throwable unwrap(Throwable t) {
        while ((t instanceof ExecutionException || t instanceof CompletionException) && t.getCause() != null) t = t.getCause();
        return t;
    }

    static Map<String, Object> describe(Throwable t) {
        return describe(unwrap(t), 0);
    }

    private static Map<String, Object> describe(Throwable t, int depth) {
        Map<String, Object> m = Json.obj("class", t.getClass().getSimpleName(), "message", t.getMessage());
        if (t.getCause() != null && t.getCause() != t && depth < 5) m.put("cause", describe(t.getCause(), depth + 1));
        return m;
    }
}

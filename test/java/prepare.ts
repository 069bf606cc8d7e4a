/**
 * Builds the Java client harness (test/java) before the tests run, so they need no network:
 * `node --import tsx test/java/prepare.ts` (.ci/run does it). Prints the kafka-clients version
 * and how long the build took; exits 1 when the build fails or Java/Maven is missing.
 */
import { javaHarness, kafkaClientsVersion } from '../helpers/java.js';

const started = Date.now();
try {
  await javaHarness();
  console.log(`java harness: kafka-clients ${kafkaClientsVersion()} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (err) {
  console.error(`java harness: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

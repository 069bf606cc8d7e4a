/*
 * mock-cluster.c - the "do-nothing broker" for bench/run.mjs.
 *
 * librdkafka ships an in-memory Kafka cluster (rdkafka_mock.h) that answers Produce and Fetch
 * without writing anything to disk. A client driven against it measures its own ceiling, which
 * is the denominator for our produce ratios. bench/mock-cluster.mjs compiles this file into a
 * temp dir at run time (gcc, librdkafka-dev); the binary is never committed.
 *
 * Usage: mock-cluster [TOPIC:PARTITIONS ...]
 *   Starts one mock broker on 127.0.0.1, creates the topics (replication factor 1), prints
 *   "BOOTSTRAP=host:port" and runs until stdin reaches EOF (so it dies with its parent) or it
 *   receives SIGTERM/SIGINT.
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
        char err[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
        /* The mock cluster's threads belong to a client instance; it never produces. */
        rd_kafka_t *owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
        if (owner == NULL) {
                fprintf(stderr, "rd_kafka_new: %s\n", err);
                return 1;
        }
        rd_kafka_mock_cluster_t *cluster = rd_kafka_mock_cluster_new(owner, 1);
        if (cluster == NULL) {
                fprintf(stderr, "rd_kafka_mock_cluster_new failed\n");
                return 1;
        }
        for (int i = 1; i < argc; i++) {
                char topic[256];
                int partitions = 1;
                if (sscanf(argv[i], "%255[^:]:%d", topic, &partitions) < 1) continue;
                rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(cluster, topic, partitions, 1);
                if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
                        fprintf(stderr, "topic %s: %s\n", topic, rd_kafka_err2str(e));
        }
        printf("BOOTSTRAP=%s\n", rd_kafka_mock_cluster_bootstraps(cluster));
        fflush(stdout);
        signal(SIGPIPE, SIG_IGN);
        char buf[256];
        while (read(0, buf, sizeof(buf)) > 0) {
        }
        rd_kafka_mock_cluster_destroy(cluster);
        rd_kafka_destroy(owner);
        return 0;
}

#!/bin/sh
# Formats the data volume on first start (a KRaft node refuses unformatted storage), then runs
# the broker in the foreground so SIGTERM reaches it.
set -eu
CP='/opt/kafka/libs/*'
LOG4J=-Dlog4j2.configurationFile=/etc/kafka/log4j2.properties
if [ ! -f /var/lib/kafka/data/meta.properties ]; then
    # Any fixed 22-character id works for one node; KAFKA_CLUSTER_ID overrides it.
    java "$LOG4J" -cp "$CP" kafka.tools.StorageTool format \
        --cluster-id "${KAFKA_CLUSTER_ID:-ZGlwbG93aXJlLWthZmthMQ}" \
        --config /etc/kafka/server.properties
fi
exec java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m} -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true "$LOG4J" -cp "$CP" kafka.Kafka /etc/kafka/server.properties

/** What the local stack runs. Bumping a version here re-fetches into a new cache folder. */
export const KAFKA_VERSION = '4.4.0';
export const SLF4J_VERSION = '2.0.17';
export const APICURIO_VERSION = '3.3.3';
export const MAVEN_DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';

/** Kafka 4 brokers need Java 17; Apicurio Registry 3 is compiled for Java 21. */
export const KAFKA_MIN_JAVA = 17;
export const REGISTRY_MIN_JAVA = 21;

export const KAFKA_PORT = 9092;
export const KAFKA_CONTROLLER_PORT = 9093;
/** The broker's second listener: SASL_SSL with SCRAM users (scripts/stack/secure-listener.ts). */
export const KAFKA_SECURE_PORT = 9094;
export const REGISTRY_PORT = 8081;
/** Quarkus's management interface (health, metrics); kept off the common 9000. */
export const REGISTRY_MANAGEMENT_PORT = 8091;

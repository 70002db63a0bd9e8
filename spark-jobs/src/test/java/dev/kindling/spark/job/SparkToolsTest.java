package dev.kindling.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindling.spark.config.SparkMaster;
import dev.kindling.spark.config.TestSettings;
import dev.kindling.spark.config.TrainConfig;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spark's own tools on Kindling's jobs: the UI is on at a free port, bound to loopback where the launcher says so,
 * and shows a job by the name Kindling gave it (in Chromium); {@code train} leaves Spark's event log in
 * the run directory, its jobs named by epoch and phase, and Spark's History Server lists the run from it.
 */
class SparkToolsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void theUiIsOnAtAFreePortAndShowsJobsByName(@TempDir Path dir) throws Exception {
        try (JavaSparkContext sc = SparkJobs.context(new SparkMaster("local[2]"), "ui-test")) {
            assertTrue(sc.sc().uiWebUrl().isDefined(), "the UI is on by default");
            URI ui = URI.create(sc.sc().uiWebUrl().get());
            assertNotEquals(4040, ui.getPort(), "a free port, not Spark's fixed first choice");
            if ("127.0.0.1".equals(System.getenv("SPARK_LOCAL_IP"))) { // as the launcher and scripts/test.sh set it
                for (InetAddress other : nonLoopbackAddresses()) {
                    try (Socket s = new Socket()) {
                        s.connect(new InetSocketAddress(other, ui.getPort()), 2000);
                        throw new AssertionError("the UI answers on " + other + ", not only on loopback");
                    } catch (IOException expected) {
                        // refused: bound to loopback only
                    }
                }
            }
            sc.setJobDescription("epoch 1/1: train (the UI test)");
            assertEquals(2L, sc.parallelize(List.of(1, 2), 2).count());
            Browser.Rendered page = Browser.render(ui + "/jobs/", dir.resolve("spark-ui.png"), dir.resolve("chromium"));
            assertTrue(page.dom().contains("epoch 1/1: train (the UI test)"), "the jobs page names the job\n" + page.dom());
        }
    }

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void trainLeavesANamedEventLogThatTheHistoryServerLists(@TempDir Path dir) throws Exception {
        String data = dir.resolve("sum").toString();
        assertEquals(0, Cli.run("prepare-data", "--dataset=seed-sum", "--out=" + data).exit());
        Path run = dir.resolve("run");
        TrainJob.run(TrainConfig.from(TestSettings.of("model", "mlp", "data", data, "out", run.toString(), "dist", "shared",
                "encoding", "dense", "master", "local[2]", "epochs", "2")));

        Path events = run.resolve(DistributedTraining.SPARK_EVENTS);
        List<Path> logs;
        try (Stream<Path> files = Files.list(events)) {
            logs = files.filter(f -> !f.getFileName().toString().startsWith(".")).toList();
        }
        assertEquals(1, logs.size(), "one application's log: " + logs);
        assertFalse(logs.get(0).toString().endsWith(".inprogress"), "closed before the run was published: " + logs);
        List<String> descriptions = new ArrayList<>();
        for (String line : Files.readAllLines(logs.get(0))) {
            JsonNode e = JSON.readTree(line);
            if ("SparkListenerJobStart".equals(e.path("Event").asText())) {
                descriptions.add(e.path("Properties").path("spark.job.description").asText());
            }
        }
        for (String phase : List.of("train: check ", "epoch 1/2: train (Kindling's all-reduce master, 2 replicas, dense)",
                "step telemetry: collect", "epoch 1/2: validate", "epoch 2/2: train (", "epoch 2/2: validate", "test: evaluate on ")) {
            assertTrue(descriptions.stream().anyMatch(d -> d.startsWith(phase)), phase + " in " + descriptions);
        }
        assertFalse(descriptions.contains(""), "every job is named: " + descriptions);

        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Process history = historyServer(events, port, dir.resolve("history.log"));
        try {
            JsonNode apps = applications(port, Duration.ofSeconds(90));
            assertEquals(1, apps.size(), apps.toString());
            assertEquals("kindling-train", apps.get(0).path("name").asText(), apps.toString());
            assertTrue(apps.get(0).path("attempts").get(0).path("completed").asBoolean(), apps.toString());
        } finally {
            history.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static List<InetAddress> nonLoopbackAddresses() throws IOException {
        List<InetAddress> out = new ArrayList<>();
        for (NetworkInterface nif : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (nif.isUp() && !nif.isLoopback()) {
                Collections.list(nif.getInetAddresses()).stream().filter(a -> a instanceof Inet4Address).forEach(out::add);
            }
        }
        return out;
    }

    /** Spark's History Server from Spark's own classes, in a JVM of its own, reading {@code logs}. */
    private static Process historyServer(Path logs, int port, Path log) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dspark.history.fs.logDirectory=" + logs.toUri(), "-Dspark.history.ui.port=" + port,
                "-Dspark.history.fs.update.interval=1s", "-cp", System.getProperty("java.class.path"),
                "org.apache.spark.deploy.history.HistoryServer"));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** The History Server's application list, once it lists something or the wait is over. */
    private static JsonNode applications(int port, Duration wait) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long end = System.nanoTime() + wait.toNanos();
        JsonNode apps = JSON.createArrayNode();
        while (System.nanoTime() < end) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/applications"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    apps = JSON.readTree(r.body());
                    if (apps.size() > 0) {
                        return apps;
                    }
                }
            } catch (IOException notUpYet) {
                // the server is still starting
            }
            Thread.sleep(500);
        }
        return apps;
    }
}

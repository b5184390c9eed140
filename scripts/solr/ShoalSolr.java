// Starts one standalone Apache Solr node in this JVM for shoal's tests: Jetty on
// 127.0.0.1:<port> with Solr under /solr, solr home <home>, and (if it does not
// exist yet) one core made from <home>/configsets/<configset>. Prints one
// "shoal-solr: ready ..." line on stdout when the core answers, then runs until
// SIGTERM, when Jetty and the cores are closed (so the index is left clean).
//
//   java -cp 'lib/*:classes' ShoalSolr PORT SOLR_HOME CORE CONFIGSET
//
// Started by scripts/solr.sh, which lays out SOLR_HOME (solr.xml, configsets/)
// and passes the JVM options (heap, log4j2 config, solr.allowPaths).
//
// Why JettySolrRunner: Maven Central has no Solr tarball (bin/solr, server/etc/
// jetty.xml, the webapp), only jars. solr-test-framework's JettySolrRunner is the
// class Solr's own tests use to put SolrDispatchFilter into an embedded Jetty; it
// binds its connector to 127.0.0.1, which is what we want anyway.
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.solr.core.CoreContainer;
import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

public final class ShoalSolr {
  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: ShoalSolr PORT SOLR_HOME CORE CONFIGSET");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    Path home = Paths.get(args[1]).toAbsolutePath();
    String core = args[2];
    String configSet = args[3];
    if (!Files.isRegularFile(home.resolve("solr.xml"))) {
      throw new IllegalArgumentException("no solr.xml in " + home);
    }
    if (!Files.isDirectory(home.resolve("configsets").resolve(configSet).resolve("conf"))) {
      throw new IllegalArgumentException("no configsets/" + configSet + "/conf in " + home);
    }

    long t0 = System.nanoTime();
    JettyConfig config =
        JettyConfig.builder()
            .setPort(port)
            .setContext("/solr")
            // One protocol on the wire keeps curl and the C++ client simple;
            // JettySolrRunner otherwise also offers h2c on the same port.
            .useOnlyHttp1(true)
            // Our own hook below stops Jetty; a second one from Jetty would race it.
            .stopAtShutdown(false)
            // No retrying a busy port for minutes: fail fast, the script reports it.
            .withPortRetryTime(0)
            .build();
    JettySolrRunner runner = new JettySolrRunner(home.toString(), new Properties(), config);

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    runner.stop();
                    System.out.println("shoal-solr: stopped");
                  } catch (Exception e) {
                    e.printStackTrace();
                  } finally {
                    stopped.countDown();
                  }
                },
                "shoal-solr-stop"));

    runner.start();
    CoreContainer cc = runner.getCoreContainer();
    // Cores found by core discovery (a core.properties under SOLR_HOME) are loaded
    // by start(); wait for them before deciding whether ours exists.
    cc.waitForLoadingCoresToFinish(60_000);
    String how = "loaded";
    if (!cc.getAllCoreNames().contains(core)) {
      // Writes SOLR_HOME/<core>/core.properties naming the configset, so the
      // next start finds the core (and its data/) again without creating it.
      cc.create(core, home.resolve(core), Map.of("configSet", configSet), false);
      how = "created";
    }
    if (!cc.isLoaded(core)) {
      throw new IllegalStateException(
          "core " + core + " did not load: " + cc.getCoreInitFailures().get(core));
    }
    long ms = (System.nanoTime() - t0) / 1_000_000;
    System.out.println(
        "shoal-solr: ready url=http://127.0.0.1:"
            + runner.getLocalPort()
            + "/solr core="
            + core
            + " ("
            + how
            + ") home="
            + home
            + " in "
            + ms
            + " ms");
    System.out.flush();
    stopped.await();
  }
}

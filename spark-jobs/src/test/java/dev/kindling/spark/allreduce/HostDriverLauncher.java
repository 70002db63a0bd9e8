package dev.kindling.spark.allreduce;

/** A JVM that launches (or joins) this host's driver for {@code args[0]}, prints its id and waits to be killed. */
public final class HostDriverLauncher {
    public static void main(String[] args) throws InterruptedException {
        System.out.println("driver " + HostDriver.forScope(args[0]).id());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }

    private HostDriverLauncher() {}
}

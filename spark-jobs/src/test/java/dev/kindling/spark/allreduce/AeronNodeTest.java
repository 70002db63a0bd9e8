package dev.kindling.spark.allreduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.Collections;
import org.junit.jupiter.api.Test;

/** The channel settings the all-reduce derives from the host's interfaces and the worker count. */
class AeronNodeTest {

    @Test
    void framesAreAsLargeAsOnePacketOfTheInterface() throws Exception {
        assertEquals(AeronNode.LOOPBACK_MTU, AeronNode.frameMtu("127.0.0.1"), "loopback (MTU 65536) is capped");
        assertTrue(AeronNode.channel("127.0.0.1:40000", AeronNode.frameMtu("127.0.0.1")).endsWith("|mtu=" + AeronNode.LOOPBACK_MTU));
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!nic.isUp() || nic.isLoopback()) {
                continue;
            }
            for (InetAddress a : Collections.list(nic.getInetAddresses())) {
                if (a instanceof Inet4Address) { // e.g. a 1500-byte Ethernet link: 1472, a 9000 one: 8960
                    int expected = Math.min(AeronNode.LOOPBACK_MTU, nic.getMTU() - 28) / 32 * 32;
                    assertEquals(expected < 1408 ? 0 : expected, AeronNode.frameMtu(a.getHostAddress()), nic.getName() + " MTU " + nic.getMTU());
                }
            }
        }
        assertEquals(0, AeronNode.frameMtu("192.0.2.1"), "an address of no local interface keeps Aeron's default");
    }

    @Test
    void aPieceIsOneMessageOfATerm() { // Aeron's largest message is an eighth of the term
        assertTrue(Frame.PIECE_FLOATS * 4 + Frame.HEADER_BYTES <= AeronNode.TERM_LENGTH / 8);
        assertTrue(Frame.PIECE_PAIRS * 8 + Frame.HEADER_BYTES <= AeronNode.TERM_LENGTH / 8);
    }

    @Test
    void everyPeersWindowFitsTheReceiveBufferTogether() {
        assertTrue(AeronNode.subscriptionChannel("10.0.0.1", 1).endsWith("so-rcvbuf=" + AeronNode.RECEIVE_BUFFER + "|rcv-wnd=131072"));
        assertTrue(AeronNode.subscriptionChannel("10.0.0.1", 15).endsWith("|rcv-wnd=131072"), "15 x 128 KiB x 2 fits 4 MiB");
        assertTrue(AeronNode.subscriptionChannel("10.0.0.1", 63).endsWith("|rcv-wnd=32768"));
        assertTrue(AeronNode.subscriptionChannel("10.0.0.1", 511).endsWith("|rcv-wnd=16384"), "never below 16 KiB");
    }
}

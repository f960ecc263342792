# The link's GATT port (vitrine_fw.blelink.GattPort) over a fake radio at the seam: the service
# it registers (writes only when encrypted), advertising while nobody is connected, the host's
# writes read as a stream, notifications cut at the MTU, a full ring, a host that goes. Runs
# unchanged on MicroPython (node tools/micropython.mjs) and CPython (tests/firmware/
# test_scenarios.py).

from fw_scenario import FakeClock, eq, ok, run_all

from vitrine_fw import blelink

CONNECT = 1
DISCONNECT = 2
WRITE = 3
MTU = 21
ENCRYPTION = 28


class FakeRadio:
    """bluetooth.BLE's GATT server as far as the port uses it."""

    def __init__(self):
        self.handler = None
        self.settings = {}
        self.services = None
        self.adverts = []
        self.notified = []
        self.value = b""
        self.fail_notify = False

    def config(self, **kw):
        for key, value in kw.items():
            self.settings[key] = value

    def gatts_register_services(self, services):
        self.services = services
        return ((11, 13),)

    def gatts_set_buffer(self, handle, size, append=False):
        self.buffer = (handle, size, append)

    def irq(self, handler):
        self.handler = handler

    def gap_advertise(self, interval_us, adv_data=None, resp_data=None, connectable=True):
        self.adverts.append((interval_us, adv_data, connectable))

    def gatts_read(self, handle):
        value, self.value = self.value, b""
        return value

    def gatts_notify(self, conn, handle, data=None):
        if self.fail_notify:
            raise OSError(128)
        self.notified.append((conn, handle, bytes(data)))

    def host_writes(self, conn, data):
        self.value = data
        self.handler(WRITE, (conn, 11))


def rig(encrypted=True, mtu=23):
    radio = FakeRadio()
    port = blelink.GattPort(radio, FakeClock(0), str)
    radio.handler(CONNECT, (7, 1, b"\x00" * 6))
    radio.handler(MTU, (7, mtu))
    if encrypted:
        radio.handler(ENCRYPTION, (7, True, True, True, 16))
    return radio, port


def read(port, n=64):
    """What the link's read would return now (read_into without its wait: the WebAssembly
    MicroPython's asyncio is too small to run it here; the host tests run it over the
    simulator's radio)."""
    buf = bytearray(n)
    got = port.take(buf)
    return bytes(buf[:got])


def scenario_the_service_and_its_security():
    radio = FakeRadio()
    blelink.GattPort(radio, FakeClock(0), str)
    ((service, chars),) = radio.services
    eq(service, blelink.SERVICE_UUID, "the service")
    eq(chars[0], (blelink.RX_UUID, 0x0008 | 0x1000), "RX: write, encrypted only")
    eq(chars[1], (blelink.TX_UUID, 0x0010), "TX: notify")
    eq(radio.settings, {"bond": True, "le_secure": True}, "bonding with LE Secure Connections")
    eq(radio.buffer, (11, blelink.MAX_MTU, True), "RX holds a whole write, appended")


def scenario_it_advertises_connectably_until_a_host_comes_and_after_it_goes():
    radio, port = rig()
    eq(len(radio.adverts), 1, "advertising from the start")
    interval, data, connectable = radio.adverts[0]
    ok(connectable and interval == 250000, "connectable, every 250 ms")
    eq(len(data), 21, "flags and the service's UUID")
    eq(data[5:], bytes(reversed(bytes.fromhex(blelink.SERVICE_UUID.replace("-", "")))), "UUID")
    radio.handler(DISCONNECT, (7, 1, b"\x00" * 6))
    eq(port.conn, None, "no host")
    eq(len(radio.adverts), 2, "advertising again")


def scenario_the_hosts_writes_are_read_as_a_stream():
    radio, port = rig()
    radio.host_writes(7, b"\x03ab")
    radio.host_writes(7, b"\x00\x02c")
    eq(read(port, 4), b"\x03ab\x00", "as much as the buffer takes")
    eq(read(port), b"\x02c", "then the rest")
    eq(read(port), b"", "then nothing")


def scenario_a_write_on_a_link_that_is_not_encrypted_is_ignored():
    radio, port = rig(encrypted=False)
    radio.host_writes(7, b"\x01\x00")
    eq(read(port), b"", "nothing read")
    radio.host_writes(8, b"\x01\x00")  # another connection's write
    eq(read(port), b"", "nothing read either")


def scenario_notifications_are_cut_at_the_mtu():
    radio, port = rig(mtu=23)
    data = bytes(range(45))
    eq(port.write(data, 45), 45, "all taken")
    eq([len(d) for _, _, d in radio.notified], [20, 20, 5], "pieces of MTU - 3")
    eq(b"".join(d for _, _, d in radio.notified), data, "in order")
    ok(all(c == 7 and h == 13 for c, h, _ in radio.notified), "on TX, to the host")
    radio.notified = []
    radio.handler(MTU, (7, 185))
    port.write(data, 45)
    eq([len(d) for _, _, d in radio.notified], [45], "one piece at a larger MTU")


def scenario_without_a_host_the_bytes_go_nowhere_and_are_counted():
    radio, port = rig()
    radio.handler(DISCONNECT, (7, 1, b"\x00" * 6))
    eq(port.write(b"abc", 3), 3, "taken, as a UART with nothing attached takes them")
    eq(port.tx_dropped, 3, "counted")
    eq(radio.notified, [], "nothing sent")


def scenario_a_host_that_goes_between_pieces_is_counted():
    radio, port = rig()
    radio.fail_notify = True
    eq(port.write(bytes(30), 30), 30, "taken")
    eq(port.tx_dropped, 30, "counted")


def scenario_a_full_ring_drops_and_counts():
    radio, port = rig()
    for _ in range(9):
        radio.host_writes(7, bytes(250))
    eq(port.rx_dropped, 9 * 250 - 2048, "what did not fit")
    eq(len(read(port, 4096)), 2048, "the ring's worth read")


class FakeSecrets:
    """A bond store that keeps what it was given."""

    def __init__(self, secrets=None):
        self.secrets = secrets or {}
        self.saves = 0

    def load(self):
        return dict(self.secrets)

    def save(self, secrets):
        self.secrets = dict(secrets)
        self.saves += 1


def scenario_bonds_are_kept_for_the_stack_and_saved_by_the_task():
    radio = FakeRadio()
    store = FakeSecrets()
    port = blelink.GattPort(radio, FakeClock(0), str, store)
    ok(radio.handler(30, (1, memoryview(b"peer-a"), memoryview(b"ltk-a"))), "set: stored")
    radio.handler(30, (1, b"peer-b", b"ltk-b"))
    radio.handler(30, (2, b"irk", b"irk-value"))
    eq(radio.handler(29, (1, 0, b"peer-b")), b"ltk-b", "get by key")
    eq(radio.handler(29, (1, 1, None)), b"ltk-b", "get the second of its type")
    eq(radio.handler(29, (2, 0, None)), b"irk-value", "get the first of another type")
    eq(radio.handler(29, (1, 2, None)), None, "no third")
    eq(store.saves, 0, "nothing written in the interrupt")
    port.save_secrets()
    eq(store.saves, 1, "written by the task")
    port.save_secrets()
    eq(store.saves, 1, "and only when changed")
    radio.handler(30, (1, b"peer-a", None))
    eq(radio.handler(29, (1, 0, b"peer-a")), None, "a bond forgotten")


def scenario_bonds_survive_a_reboot():
    store = FakeSecrets()
    radio = FakeRadio()
    port = blelink.GattPort(radio, FakeClock(0), str, store)
    radio.handler(30, (1, b"peer", b"ltk"))
    port.save_secrets()
    again = FakeRadio()  # the board rebooted: a new radio and port, the same flash
    blelink.GattPort(again, FakeClock(0), str, store)
    eq(again.handler(29, (1, 0, b"peer")), b"ltk", "the bond is still there")


if __name__ == "__main__":
    run_all(globals())

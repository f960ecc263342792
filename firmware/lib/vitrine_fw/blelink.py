# The wire protocol over Bluetooth LE: the GATT service a board without a cable (a ceiling
# lights board) offers, shared by the host (vitrine.link.gatt) and the board's firmware.
#
# One service, two characteristics:
#   RX  (host -> board): write with response; the host writes the same COBS-framed bytes it
#       would send down a cable, cut into pieces that fit one ATT write (MTU - 3 bytes).
#   TX  (board -> host): notify; the board sends its frames the same way.
# The pieces are a byte stream, nothing more: COBS's zero delimiter finds the frames again,
# wherever a piece ends, exactly as on a UART that delivers bytes in arbitrary reads. Both
# characteristics require an encrypted, authenticated (bonded, LE Secure Connections) link:
# the board's GATT server declares them so, and the host pairs before it connects.
#
# UUIDs: a random 128-bit base (uuid4) for this project, the characteristics numbered in it.

import binascii
import json

from vitrine_fw import seam

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


SERVICE_UUID = "5f8d0001-3c2a-4e7b-9b6d-8e2f1a7c4d10"
RX_UUID = "5f8d0002-3c2a-4e7b-9b6d-8e2f1a7c4d10"  # host writes
TX_UUID = "5f8d0003-3c2a-4e7b-9b6d-8e2f1a7c4d10"  # board notifies
ATT_HEADER = const(3)  # an ATT write or notification: opcode (1) and handle (2)
MIN_MTU = const(23)  # the ATT MTU every LE link starts with (Core 5.4 Vol 3 Part F §3.2.8)
MAX_MTU = const(517)  # the largest ATT MTU (an attribute value is at most 512 bytes)


def piece_size(mtu):
    """Bytes of the stream one write or notification carries at this ATT MTU."""
    if mtu < MIN_MTU or mtu > MAX_MTU:
        raise ValueError("ATT MTU %d: allowed %d..%d" % (mtu, MIN_MTU, MAX_MTU))
    return mtu - ATT_HEADER


def pieces(data, mtu):
    """data cut into the pieces writes or notifications carry at this MTU, in order."""
    n = piece_size(mtu)
    return [data[i : i + n] for i in range(0, len(data), n)]


# --- the board's side: a GATT server as the link's port ----------------------------------------

_IRQ_CENTRAL_CONNECT = const(1)  # bluetooth's event codes (the module leaves them to programs)
_IRQ_CENTRAL_DISCONNECT = const(2)
_IRQ_GATTS_WRITE = const(3)
_IRQ_MTU_EXCHANGED = const(21)
_IRQ_ENCRYPTION_UPDATE = const(28)
_IRQ_GET_SECRET = const(29)
_IRQ_SET_SECRET = const(30)
_FLAG_WRITE = const(0x0008)
_FLAG_NOTIFY = const(0x0010)
_FLAG_WRITE_ENCRYPTED = const(0x1000)  # a write on a link that is not encrypted is refused
_RX_BYTES = const(2048)  # host bytes held until the link reads them (a power of 2)
_POLL_MS = const(5)
_ADV_INTERVAL_US = const(250000)
_AD_FLAGS = const(0x01)
_AD_UUID128_ALL = const(0x07)


def _uuid_le(text):
    """A 128-bit UUID as advertising data carries it (least significant byte first)."""
    raw = bytes(int(text.replace("-", "")[i : i + 2], 16) for i in range(0, 32, 2))
    return bytes(reversed(raw))


def advertisement():
    """The connectable advertisement that names the link's service (21 bytes)."""
    return bytes((2, _AD_FLAGS, 0x06, 17, _AD_UUID128_ALL)) + _uuid_le(SERVICE_UUID)


class FileSecrets:
    """Where the bonds' keys live across reboots: a JSON file on the board's flash, a list of
    [sec_type, key hex, value hex] (aioble keeps its bonds the same way, in a file it rewrites)."""

    def __init__(self, path):
        self.path = path

    def load(self):
        try:
            with open(self.path) as f:
                items = json.load(f)
        except (OSError, ValueError):  # none yet, or damaged: no bonds (hosts pair again)
            return {}
        out = {}
        for sec_type, key, value in items:
            out[(sec_type, binascii.unhexlify(key))] = binascii.unhexlify(value)
        return out

    def save(self, secrets):
        items = [
            [k[0], binascii.hexlify(k[1]).decode(), binascii.hexlify(v).decode()]
            for k, v in secrets.items()
        ]
        with open(self.path, "w") as f:
            json.dump(items, f)


class GattPort(seam.BasePort):
    """The protocol port over the link's GATT service (see the top of this module): what the
    host writes to RX is read as from a UART; what the link writes is notified on TX in pieces
    of MTU - 3 bytes. Advertises (connectable) while no host is connected; bonds (LE Secure
    Connections) and accepts writes only on an encrypted link."""

    def __init__(self, ble, clock, uuid_of, secrets=None):
        self.ble = ble
        self.clock = clock
        self.conn = None
        self.mtu = MIN_MTU
        self.encrypted = False
        self.rx = bytearray(_RX_BYTES)
        self.rx_r = 0
        self.rx_w = 0
        self.rx_dropped = 0
        self.tx_dropped = 0
        self.connects = 0
        # the bonds: (sec_type, key) -> value, kept by `secrets` (FileSecrets; None: in RAM
        # only, hosts pair again after a reboot); saved by the task, not in the interrupt
        self.secret_store = secrets
        self.secrets = secrets.load() if secrets is not None else {}
        self.secrets_dirty = False
        make = uuid_of  # bluetooth.UUID on a board (hal), str on the simulator's radio
        ble.config(bond=True, le_secure=True)
        service = (
            make(SERVICE_UUID),
            (
                (make(RX_UUID), _FLAG_WRITE | _FLAG_WRITE_ENCRYPTED),
                (make(TX_UUID), _FLAG_NOTIFY),
            ),
        )
        ((self.rx_handle, self.tx_handle),) = ble.gatts_register_services((service,))
        ble.gatts_set_buffer(self.rx_handle, MAX_MTU, True)  # one whole write, appended
        ble.irq(self.irq)
        self.advertise()

    def advertise(self):
        self.ble.gap_advertise(_ADV_INTERVAL_US, advertisement(), connectable=True)

    def irq(self, event, data):
        if event == _IRQ_GATTS_WRITE:
            conn, handle = data[0], data[1]
            # the stack refuses writes on a link that is not encrypted (_FLAG_WRITE_ENCRYPTED);
            # this check keeps it so whatever the stack does
            if handle == self.rx_handle and conn == self.conn and self.encrypted:
                self.received(self.ble.gatts_read(self.rx_handle))
        elif event == _IRQ_CENTRAL_CONNECT:
            self.conn = data[0]
            self.mtu = MIN_MTU
            self.encrypted = False
            self.connects += 1
        elif event == _IRQ_CENTRAL_DISCONNECT:
            self.conn = None
            self.encrypted = False
            self.advertise()
        elif event == _IRQ_MTU_EXCHANGED and data[0] == self.conn:
            self.mtu = data[1] if data[1] <= MAX_MTU else MAX_MTU
        elif event == _IRQ_ENCRYPTION_UPDATE and data[0] == self.conn:
            self.encrypted = bool(data[1])
        elif event == _IRQ_GET_SECRET:
            return self.get_secret(data[0], data[1], data[2])
        elif event == _IRQ_SET_SECRET:
            return self.set_secret(data[0], data[1], data[2])
        return None

    def get_secret(self, sec_type, index, key):
        """The stack asks for a stored key: by key, or the index'th of its type."""
        if key is not None:
            return self.secrets.get((sec_type, bytes(key)))
        i = 0
        for k, value in self.secrets.items():
            if k[0] == sec_type:
                if i == index:
                    return value
                i += 1
        return None

    def set_secret(self, sec_type, key, value):
        """The stack stores (or, value None, forgets) a key of a bond."""
        k = (sec_type, bytes(key))
        if value is None:
            self.secrets.pop(k, None)
        else:
            self.secrets[k] = bytes(value)
        self.secrets_dirty = True
        return True

    def save_secrets(self):
        """Write the bonds out if they changed (the link's task calls it through read_into)."""
        if self.secrets_dirty and self.secret_store is not None:
            self.secrets_dirty = False
            self.secret_store.save(self.secrets)

    def received(self, data):
        """Bytes the host wrote: into the ring (what does not fit is dropped and counted)."""
        for b in data:
            if ((self.rx_w - self.rx_r) & 0xFFFF) >= _RX_BYTES:
                self.rx_dropped += 1
                continue
            self.rx[self.rx_w & (_RX_BYTES - 1)] = b
            self.rx_w = (self.rx_w + 1) & 0xFFFF

    async def read_into(self, buf, timeout_ms):
        self.save_secrets()
        waited = 0
        while self.rx_r == self.rx_w:
            if waited >= timeout_ms:
                return 0
            await self.clock.sleep_ms(_POLL_MS)
            waited += _POLL_MS
        return self.take(buf)

    def take(self, buf):
        """Move what the ring holds (up to len(buf) bytes) into buf, without waiting; how many."""
        n = 0
        while n < len(buf) and self.rx_r != self.rx_w:
            buf[n] = self.rx[self.rx_r & (_RX_BYTES - 1)]
            self.rx_r = (self.rx_r + 1) & 0xFFFF
            n += 1
        return n

    def write(self, buf, n):
        """Notify buf[0:n] in pieces; with no host connected the bytes go nowhere, as on a
        UART with nothing attached (counted)."""
        if self.conn is None:
            self.tx_dropped += n
            return n
        size = self.mtu - ATT_HEADER
        view = memoryview(buf)
        for i in range(0, n, size):
            end = i + size if i + size < n else n
            try:
                self.ble.gatts_notify(self.conn, self.tx_handle, view[i:end])
            except OSError:  # the host went between two pieces
                self.tx_dropped += n - i
                return n
        return n

    def close(self):
        self.ble.gap_advertise(None)

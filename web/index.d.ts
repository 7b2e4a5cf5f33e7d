// Type declarations for "virtual-machine" (web/index.mjs in browsers,
// web/index.node.mjs under Node).

export type Bytes = ArrayBuffer | ArrayBufferView;

export interface DiskOptions {
    /** Whole image, in memory. */
    data?: Bytes;
    readonly?: boolean;
    /** A JS-backed disk instead of data: size in bytes (multiple of 512). */
    size?: number;
    handler?: BlockHandler;
}

/** A JS-backed disk. submit() returns a status (0 ok, 1 I/O error, 2
 * unsupported) at once, or a Promise of one: the guest's request completes
 * when it settles. */
export interface BlockHandler {
    submit(req: {
        type: 0 | 1 | 2; // read, write, flush
        offset: number;
        iov: { ptr: number; len: number }[];
        /** The wasm heap, re-read after every await (memory growth replaces it). */
        heap(): Uint8Array;
    }): number | Promise<number>;
}

export interface VmOptions {
    /** OpenSBI or other M-mode firmware, loaded at 0x80000000. */
    bios?: Bytes | null;
    initrd?: Bytes | null;
    disk?: Bytes | DiskOptions;
    disks?: (Bytes | DiskOptions)[];
    /** Kernel command line (/chosen/bootargs). */
    append?: string;
    /** Guest RAM in MiB, 16..1024 (default 256). */
    memoryMiB?: number;
    /** Harts, 1..8 (default 1). */
    harts?: number;
    /** Guest time from the instruction count instead of the wall clock. */
    deterministic?: boolean;
    /** A virtio-net NIC (in-thread WasmVm): send(frame) receives every frame the guest transmits. */
    net?: { mac?: number[]; send?(frame: Uint8Array): void };
    /** In-thread WasmVm: a NIC connected to this relay from the start (ws://, wss://). */
    netUrl?: string;
    mac?: number[];
}

/** The network link to a relay (netproxy or any raw-frame WebSocket relay). */
export interface NetStatus {
    /** 'down': the relay went away, a reconnect is due in retryMs (backoff 0.25 s to 8 s). */
    state: 'connecting' | 'up' | 'down' | 'closed' | 'error';
    url: string | null;
    /** The running machine has a NIC (else it gets one at its next start or reset). */
    nic: boolean;
    reason?: string;
    retryMs?: number;
    connects?: number;
    rxFrames?: number;
    txFrames?: number;
    /** Frames from the relay outside 14..1518 bytes, or text messages: dropped. */
    rxBad?: number;
    txBad?: number;
    /** Guest frames dropped while the link was down or the relay slow. */
    txDropped?: number;
    /** Frames waiting for the guest's NIC, and those dropped past the bound. */
    rxQueued: number;
    rxQueueDrops: number;
}

/** Network calls every VM handle offers. */
export interface VmNetworkApi {
    /** Connects the guest's NIC to a relay: `ws://HOST:PORT/SEGMENT` or `wss://`
     * (`https://` is WebTransport, issue 8). Reconnects with backoff; the guest's
     * link follows the relay. Resolves with the first status. */
    connect_network(url: string): Promise<NetStatus>;
    disconnect_network(): Promise<NetStatus>;
    onNetStatus(cb: (status: NetStatus) => void): () => void;
    readonly netStatus: NetStatus;
}

export interface StartConfig extends Omit<VmOptions, 'net' | 'netUrl'> {
    kernel: Bytes;
    /** Attach a NIC whose frames travel as 'net-send' / 'net-frame' messages. */
    netEnabled?: boolean;
    mac?: number[];
}

export type StopReason = 'budget' | 'idle' | 'poweroff' | 'reboot' | 'error';
export type VmState = 'loading' | 'ready' | 'running' | 'stopped' | 'poweroff' | 'error' | 'terminated';

export interface StepResult {
    reason: StopReason;
    /** Instructions executed in this slice. */
    executed: number;
    /** For 'idle': ms until the next timer event (-1 = none, waits for input). */
    idleMs: number;
    exitCode: number;
    error: string | null;
}

export interface VmStats {
    instret: number;
    mips: number;
    uptimeMs: number;
    busyMs: number;
    budget: number;
    state: string;
}

export interface Halted {
    state: 'poweroff' | 'error';
    exitCode: number | null;
    error: string | null;
}

export declare class TimeoutError extends Error {}

/** What every VM handle offers for scripted sessions. */
export interface VmConsoleApi {
    /** cb(text, bytes) for each chunk of guest output. Returns an unsubscribe function. */
    onOutput(cb: (text: string, bytes: Uint8Array) => void): () => void;
    /** Everything the guest printed (the last 4 MiB of it). */
    readonly transcript: string;
    /** Keyboard input; nothing is lost if the guest reads slowly. */
    sendInput(data: string | Uint8Array): void;
    /** Resolves with the first match after the previous expect's match. */
    expect(pattern: RegExp | string, options?: { timeout?: number; from?: number }): Promise<RegExpExecArray>;
    type(text: string): Promise<void>;
    onState(cb: (state: VmState, info: Record<string, unknown>) => void): () => void;
    onStats(cb: (stats: VmStats) => void): () => void;
    whenHalted(): Promise<Halted>;
    readonly state: VmState;
    readonly exitCode: number | null;
    readonly error: string | null;
}

/** A machine in the current thread. */
export declare class WasmVm implements VmConsoleApi, VmNetworkApi {
    /** In a browser, call `await WasmVm.load()` first (Node needs nothing). */
    constructor(kernel: Bytes, options?: VmOptions);
    static load(wasmUrl?: string | URL): Promise<void>;
    static create(kernel: Bytes, options?: VmOptions): Promise<WasmVm>;
    /** Runs one slice synchronously (budget in instructions). */
    step(budget?: number): StepResult;
    /** Runs slices on the event loop until stop() or poweroff. */
    run(): void;
    stop(): void;
    /** Power-cycles: a fresh machine from the same inputs. */
    reset(): void;
    stats(): VmStats;
    readonly instret: number;
    /** Delivers an Ethernet frame to the guest's NIC; false when dropped. */
    receiveFrame(frame: Uint8Array): boolean;
    destroy(): void;
    /** Needs a NIC (options.net or options.netUrl). */
    connect_network(url: string): Promise<NetStatus>;
    disconnect_network(): Promise<NetStatus>;
    onNetStatus(cb: (status: NetStatus) => void): () => void;
    readonly netStatus: NetStatus;

    onOutput(cb: (text: string, bytes: Uint8Array) => void): () => void;
    readonly transcript: string;
    sendInput(data: string | Uint8Array): void;
    expect(pattern: RegExp | string, options?: { timeout?: number; from?: number }): Promise<RegExpExecArray>;
    type(text: string): Promise<void>;
    onState(cb: (state: VmState, info: Record<string, unknown>) => void): () => void;
    onStats(cb: (stats: VmStats) => void): () => void;
    whenHalted(): Promise<Halted>;
    readonly state: VmState;
    readonly exitCode: number | null;
    readonly error: string | null;
}

/** A machine in a worker (Web Worker, or worker_threads under Node). */
export declare class VmWorkerClient implements VmConsoleApi, VmNetworkApi {
    readonly ready: Promise<void>;
    readonly lastStats: VmStats | null;
    /** Boots a new machine; rejects with the worker's error text. */
    start(config?: StartConfig, options?: { transfer?: boolean }): Promise<void>;
    stop(): void;
    resume(): void;
    reset(): void;
    requestStats(): void;
    /** Delivers an Ethernet frame to the guest's NIC (start with netEnabled: true). */
    receiveFrame(frame: Uint8Array): void;
    /** Frames the guest transmits. */
    onNetSend?: (frame: Uint8Array) => void;
    /** The worker opens the relay connection itself; a machine started after
     * this call gets a NIC, one already running without a NIC at its next reset. */
    connect_network(url: string): Promise<NetStatus>;
    disconnect_network(): Promise<NetStatus>;
    onNetStatus(cb: (status: NetStatus) => void): () => void;
    readonly netStatus: NetStatus;
    /** The link's status with up-to-date counters. */
    requestNetStatus(): Promise<NetStatus>;
    onError(cb: (message: string) => void): () => void;
    terminate(): void;

    onOutput(cb: (text: string, bytes: Uint8Array) => void): () => void;
    readonly transcript: string;
    sendInput(data: string | Uint8Array): void;
    expect(pattern: RegExp | string, options?: { timeout?: number; from?: number }): Promise<RegExpExecArray>;
    type(text: string): Promise<void>;
    onState(cb: (state: VmState, info: Record<string, unknown>) => void): () => void;
    onStats(cb: (stats: VmStats) => void): () => void;
    whenHalted(): Promise<Halted>;
    readonly state: VmState;
    readonly exitCode: number | null;
    readonly error: string | null;
}

/** A worker-backed machine; boots at once when options.kernel is given. */
export declare function createWorkerVm(options?: Partial<StartConfig> & { workerUrl?: string | URL }): Promise<VmWorkerClient>;

/** Inputs as URLs, Blobs/Files or bytes. */
export type Source = string | URL | Blob | Bytes;

export interface MountOptions {
    kernel?: Source;
    bios?: Source;
    initrd?: Source;
    disk?: Source;
    append?: string;
    memoryMiB?: number | string;
    harts?: number | string;
    /** Connect the NIC to this relay before booting (ws://, wss://). */
    net?: string;
    /** Boot as soon as mounted (default true when a kernel is given). */
    autostart?: boolean;
    workerUrl?: string | URL;
    /** xterm.js ITerminalOptions. */
    terminal?: Record<string, unknown>;
    onProgress?: (name: string, loaded: number, total: number) => void;
}

export interface MountedVm {
    /** Set once the worker is up. */
    vm: VmWorkerClient | null;
    /** The xterm.js Terminal. */
    terminal: unknown;
    element: Element;
    error: string | null;
    ready: Promise<VmWorkerClient | null | void>;
    start(options?: MountOptions): Promise<VmWorkerClient>;
    stop(): void;
    resume(): void;
    reset(): void;
    /** Connects the NIC to a relay; a machine running without a NIC is reset to get one. */
    connect_network(url: string): Promise<NetStatus>;
    disconnect_network(): Promise<NetStatus>;
    destroy(): void;
}

/** Mounts a terminal and a worker-backed machine in element (browser only).
 * The element receives 'riscv-vm-state' and 'riscv-vm-error' events. */
export declare function mountVm(element: Element, options?: MountOptions): MountedVm;

/** Defines <riscv-vm kernel bios initrd disk append memory harts net autostart height>
 * (done on import in browsers). */
export declare function defineRiscvVmElement(registry?: CustomElementRegistry, name?: string): void;

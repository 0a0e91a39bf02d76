/**
 * The idle process of a runner: a static Linux x86-64 program of 213 bytes, generated here
 * from its machine code, so deployster needs no download, no compiler and nothing from the
 * type's image (which may hold one static binary and no shell or `sleep`).
 *
 * It blocks reading stdin and exits 0 at end of file. deployster keeps the runner's stdin
 * open through its attach connection (the container has StdinOnce), so the runner exits,
 * and the engine removes it (AutoRemove), as soon as deployster closes that connection or
 * dies, even by SIGKILL. It ignores SIGCHLD, so orphans of exec'd processes (re-parented to
 * it, PID 1) are reaped by the kernel instead of piling up as zombies.
 */

/** The code, at the file's offset 120 (after the ELF and program headers). */
// prettier-ignore
const CODE = [
  0xb8, 0x0d, 0x00, 0x00, 0x00,             //    mov  eax, 13          rt_sigaction(
  0xbf, 0x11, 0x00, 0x00, 0x00,             //    mov  edi, 17            SIGCHLD,
  0x48, 0x8d, 0x35, 0x2c, 0x00, 0x00, 0x00, //    lea  rsi, [rip+act]     {SIG_IGN},
  0x31, 0xd2,                               //    xor  edx, edx           NULL,
  0x41, 0xba, 0x08, 0x00, 0x00, 0x00,       //    mov  r10d, 8            sizeof(sigset_t))
  0x0f, 0x05,                               //    syscall
  0x31, 0xc0,                               // 1: xor  eax, eax         read(
  0x31, 0xff,                               //    xor  edi, edi           0,
  0x48, 0x89, 0xe6,                         //    mov  rsi, rsp           stack top (argv etc., unused),
  0xba, 0x40, 0x00, 0x00, 0x00,             //    mov  edx, 64            64)
  0x0f, 0x05,                               //    syscall
  0x48, 0x85, 0xc0,                         //    test rax, rax
  0x7f, 0xed,                               //    jg   1b               bytes read: keep waiting
  0x48, 0x83, 0xf8, 0xfc,                   //    cmp  rax, -4
  0x74, 0xe7,                               //    je   1b               EINTR: keep waiting
  0xb8, 0xe7, 0x00, 0x00, 0x00,             //    mov  eax, 231         exit_group(
  0x31, 0xff,                               //    xor  edi, edi           0)
  0x0f, 0x05,                               //    syscall
  // act: struct kernel_sigaction { handler = SIG_IGN (1), flags, restorer, mask = 0 }
  0x01, 0, 0, 0, 0, 0, 0, 0, ...new Array<number>(24).fill(0),
];

const BASE = 0x400000;
const HEADERS = 64 + 56;

/** The ELF file: one ELF64 header, one PT_LOAD program header (R+X) mapping the whole file. */
export function buildIdleProgram(): Uint8Array {
  const size = HEADERS + CODE.length;
  const buf = new Uint8Array(size);
  const v = new DataView(buf.buffer);
  buf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0); // \x7fELF, 64-bit, little-endian, version 1, SysV
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, 0x3e, true); // EM_X86_64
  v.setUint32(20, 1, true); // EV_CURRENT
  v.setBigUint64(24, BigInt(BASE + HEADERS), true); // entry
  v.setBigUint64(32, 64n, true); // program headers right after this header
  v.setUint16(52, 64, true); // header size
  v.setUint16(54, 56, true); // program header size
  v.setUint16(56, 1, true); // one program header
  v.setUint32(64, 1, true); // PT_LOAD
  v.setUint32(68, 5, true); // PF_R | PF_X
  v.setBigUint64(72, 0n, true); // from offset 0
  v.setBigUint64(80, BigInt(BASE), true); // vaddr
  v.setBigUint64(88, BigInt(BASE), true); // paddr
  v.setBigUint64(96, BigInt(size), true); // filesz
  v.setBigUint64(104, BigInt(size), true); // memsz
  v.setBigUint64(112, 0x1000n, true); // align
  buf.set(CODE, HEADERS);
  return buf;
}

/** Where the idle program is inside a runner (bind-mounted read-only from the runner's folder). */
export const IDLE_PATH = "/.deployster-idle";

/** Architectures (the engine's names) the idle program runs on; other images get no runner. */
export const IDLE_ARCHITECTURES = ["amd64"];

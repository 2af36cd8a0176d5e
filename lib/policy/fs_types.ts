/**
 * Filesystem types for fs sandboxing, by the names the original syd's rules use
 * (`allow/fs+ext,tmpfs`), each with the kernel's `statfs(2)` magic numbers (`linux/magic.h` and
 * the filesystems' own headers). A rule may also give a number (`0xEF53`, `0o…`, decimal).
 *
 * @module
 */

/** Every name and the magic numbers it stands for. */
export const FS_TYPES: Readonly<Record<string, readonly number[]>> = {
  aafs: [0x5a3c69f0],
  adfs: [0xadf5],
  affs: [0xadff],
  afs: [0x5346414f],
  anon_inode_fs: [0x09041934],
  aufs: [0x61756673],
  autofs: [0x0187],
  bcachefs: [0xca451a4e],
  bdevfs: [0x62646576],
  befs: [0x42465331],
  bfs: [0x1badface],
  binderfs: [0x6c6f6f70],
  binfmt_misc: [0x42494e4d],
  bpf_fs: [0xcafe4a11],
  btrfs: [0x9123683e],
  btrfs_test: [0x73727279],
  ceph: [0x00c36400],
  cgroup: [0x27e0eb],
  cgroup2: [0x63677270],
  cifs: [0xff534d42],
  coda: [0x73757245],
  coh: [0x012ff7b7],
  configfs: [0x62656570],
  cramfs: [0x28cd3d45, 0x453dcd28],
  daxfs: [0x64646178],
  debugfs: [0x64626720],
  devfs: [0x1373],
  devmem: [0x454d444d],
  devpts: [0x1cd1],
  dma_buf: [0x444d4142],
  ecryptfs: [0xf15f],
  efivarfs: [0xde5e81e4],
  efs: [0x414a53],
  erofs: [0xe0f5e1e2],
  exfat: [0x2011bab0],
  ext: [0x137d, 0xef51, 0xef53],
  f2fs: [0xf2f52010],
  failfs: [0x4641494c],
  fat: [0x4006],
  fhgfs: [0x19830326],
  fuseblk: [0x65735546],
  fusectl: [0x65735543],
  futexfs: [0x0bad1dea],
  gfs: [0x01161970],
  gpfs: [0x47504653],
  guest_memfd: [0x474d454d],
  hfs: [0x4244],
  hfsplus: [0x482b],
  hostfs: [0x00c0ffee],
  hpfs: [0xf995e849],
  hugetlbfs: [0x958458f6],
  inodefs: [0x11307854],
  inotifyfs: [0x2bad1dea],
  isofs: [0x9660, 0x4004, 0x4000],
  jffs: [0x07c0],
  jffs2: [0x72b6],
  jfs: [0x3153464a],
  kafs: [0x6b414653],
  lustre: [0x0bd00bd0],
  minix: [0x137f, 0x138f],
  minix2: [0x2468, 0x2478],
  minix3: [0x4d5a],
  mqueue: [0x19800202],
  msdos: [0x4d44],
  ncp: [0x564c],
  nfs: [0x6969],
  nfsd: [0x6e667364],
  nilfs: [0x3434],
  nsfs: [0x6e736673],
  ntfs: [0x5346544e],
  nullfs: [0x4e554c4c],
  ocfs2: [0x7461636f],
  openprom: [0x9fa1],
  overlayfs: [0x794c7630],
  panfs: [0xaad7aaea],
  pid_fd: [0x50494446],
  pipefs: [0x50495045],
  proc: [0x9fa0],
  pstorefs: [0x6165676c],
  qnx4: [0x002f],
  qnx6: [0x68191122],
  ramfs: [0x858458f6],
  rdtgroup: [0x07655821],
  reiserfs: [0x52654973],
  reiserfs2: [0x52654974],
  reiserfs3: [0x52654975],
  romfs: [0x7275],
  rpc_pipefs: [0x67596969],
  secretmem: [0x5345434d],
  securityfs: [0x73636673],
  selinux: [0xf97cff8c],
  smack: [0x43415d53],
  smb: [0x517b],
  smb2: [0xfe534d42],
  sockfs: [0x534f434b],
  squashfs: [0x73717368],
  sysfs: [0x62656572],
  sysv2: [0x012ff7b6],
  sysv4: [0x012ff7b5],
  tmpfs: [0x01021994],
  tracefs: [0x74726163],
  udf: [0x15013346],
  ufs: [0x00011954, 0x54190100],
  usbdevfs: [0x9fa2],
  v9fs: [0x01021997],
  vmhgfs: [0xbacbacbc],
  vxfs: [0xa501fcf5],
  vzfs: [0x565a4653],
  xenfs: [0xabba1974],
  xenix: [0x012ff7b4],
  xfs: [0x58465342],
  xia: [0x012fd16d],
  zfs: [0x2fc12fc1],
  zonefs: [0x5a4f4653],
};

/** A list of filesystem types as a rule gives it: `all`, or magic numbers. */
export type FsTypes = "all" | number[];

/**
 * Parses `allow/fs+LIST`'s LIST: names, `all`, or numbers (`0x…`, `0o…`, decimal), comma
 * separated. Throws an Error naming the first item that is none of them, with its offset.
 *
 * @example
 * ```ts
 * parseFsTypes("ext,tmpfs"); // [0x137d, 0xef51, 0xef53, 0x01021994]
 * parseFsTypes("all");       // "all"
 * ```
 */
export function parseFsTypes(text: string): FsTypes {
  const out: number[] = [];
  let at = 0;
  for (const item of text.split(",")) {
    if (item === "all") return "all";
    // As the original: ext2, ext3 and ext4 name the ext family (one magic number for all).
    const name = item === "ext2" || item === "ext3" || item === "ext4" ? "ext" : item;
    const known = Object.hasOwn(FS_TYPES, name) ? FS_TYPES[name] : undefined;
    const number = /^0x[0-9a-fA-F]{1,16}$/.test(item)
      ? parseInt(item.slice(2), 16)
      : /^0o[0-7]{1,22}$/.test(item)
      ? parseInt(item.slice(2), 8)
      : /^[0-9]{1,20}$/.test(item)
      ? Number(item)
      : undefined;
    if (known) out.push(...known);
    else if (number !== undefined && Number.isSafeInteger(number)) out.push(number);
    else {throw new FsTypeError(
        `"${item}" is not a filesystem type (ext, tmpfs, proc, ..., all)`,
        at,
      );}
    at += item.length + 1;
  }
  return out;
}

/** A filesystem type list that cannot be used, with the offset of the item at fault. */
export class FsTypeError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = "FsTypeError";
    this.offset = offset;
  }
}

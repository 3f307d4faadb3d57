/*
 * faultfs: a FUSE filesystem for fault-injection tests. It serves one
 * read-only file, /data, whose byte at offset i is the test pattern
 * 1 + ((i * 31 + 7) % 255) (test/support/pattern.cjs's patternByte, in C),
 * except that reads touching [bad_start, bad_end) fail with EIO, as a
 * failing disk would.
 *
 *   faultfs <mountpoint> <size> <bad_start> <bad_end>
 *
 * SIGUSR1 grows /data by 4096 bytes behind the kernel's back, as another
 * machine's write on a network filesystem would: no inotify event, only a
 * later getattr shows it (test/faults/watch-fuse).
 *
 * It runs in the foreground, single-threaded; killing it (SIGKILL) plays a
 * yanked USB disk or a dead network mount: the kernel aborts the connection
 * and every later request fails with ENOTCONN.
 */
#define FUSE_USE_VERSION 31
#include <errno.h>
#include <fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>

static volatile off_t file_size;
static off_t bad_start;
static off_t bad_end;

static int faultfs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi) {
  (void)fi;
  memset(st, 0, sizeof *st);
  if (strcmp(path, "/") == 0) {
    st->st_mode = S_IFDIR | 0755;
    st->st_nlink = 2;
    return 0;
  }
  if (strcmp(path, "/data") == 0) {
    st->st_mode = S_IFREG | 0444;
    st->st_nlink = 1;
    st->st_size = file_size;
    return 0;
  }
  return -ENOENT;
}

static int faultfs_open(const char *path, struct fuse_file_info *fi) {
  if (strcmp(path, "/data") != 0) return -ENOENT;
  if ((fi->flags & O_ACCMODE) != O_RDONLY) return -EACCES;
  fi->keep_cache = 1;
  return 0;
}

static int faultfs_read(const char *path, char *buffer, size_t size, off_t offset,
                        struct fuse_file_info *fi) {
  (void)fi;
  if (strcmp(path, "/data") != 0) return -ENOENT;
  if (offset >= file_size) return 0;
  if ((off_t)size > file_size - offset) size = (size_t)(file_size - offset);
  if (offset < bad_end && offset + (off_t)size > bad_start) return -EIO;
  for (size_t i = 0; i < size; i++) buffer[i] = (char)(1 + (((offset + (off_t)i) * 31 + 7) % 255));
  return (int)size;
}

static int faultfs_readdir(const char *path, void *buffer, fuse_fill_dir_t fill, off_t offset,
                           struct fuse_file_info *fi, enum fuse_readdir_flags flags) {
  (void)offset; (void)fi; (void)flags;
  if (strcmp(path, "/") != 0) return -ENOENT;
  fill(buffer, ".", NULL, 0, 0);
  fill(buffer, "..", NULL, 0, 0);
  fill(buffer, "data", NULL, 0, 0);
  return 0;
}

static const struct fuse_operations operations = {
  .getattr = faultfs_getattr,
  .open = faultfs_open,
  .read = faultfs_read,
  .readdir = faultfs_readdir,
};

static void grow(int signal_number) {
  (void)signal_number;
  file_size += 4096;
}

int main(int argc, char *argv[]) {
  if (argc != 5) {
    fprintf(stderr, "usage: faultfs <mountpoint> <size> <bad_start> <bad_end>\n");
    return 2;
  }
  /* Die with the test process, even if it crashes: auto_unmount then
     unmounts, and no orphan keeps the test's pipes or mount alive. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  file_size = strtoll(argv[2], NULL, 10);
  struct sigaction grow_action;
  memset(&grow_action, 0, sizeof grow_action);
  grow_action.sa_handler = grow;
  grow_action.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &grow_action, NULL);
  bad_start = strtoll(argv[3], NULL, 10);
  bad_end = strtoll(argv[4], NULL, 10);
  char *fuse_argv[] = {argv[0], argv[1], "-f", "-s", "-o", "ro,default_permissions,auto_unmount", NULL};
  return fuse_main(6, fuse_argv, &operations, NULL);
}

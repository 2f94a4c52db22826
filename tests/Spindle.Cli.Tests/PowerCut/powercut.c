/*
 * An LD_PRELOAD shim that lets a test play a power cut on a process it kills.
 *
 * For every file under $SPINDLE_POWERCUT_DIR (except SQLite's -shm, which is rebuilt on open), each write, truncate
 * or allocation first appends to $SPINDLE_POWERCUT_JOURNAL what it is about to overwrite (the old bytes and the old
 * file size), and each fsync/fdatasync that succeeds appends a sync mark. The journal is written before the change it
 * describes, with write(2) on the page cache, so it survives kill -9. Afterwards the test undoes, file by file and
 * newest first, every change made after that file's last sync: what is left is what a machine that lost power at
 * the moment of the kill would have had on disk (for the file contents; directory entries are taken as durable).
 *
 * Record: type (1 byte: 'W' write, 'T' truncate, 'A' allocate, 'S' sync), path length (u32), path, offset (i64),
 * old size (i64), old-bytes length (u32), old bytes. Little-endian, as the machine writes them.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int journal = -1;
static const char *watched;
static size_t watched_len;

static ssize_t (*real_pwrite64)(int, const void *, size_t, off_t);
static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_ftruncate64)(int, off_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_fallocate64)(int, int, off_t, off_t);
static int (*real_posix_fallocate64)(int, off_t, off_t);

__attribute__((constructor)) static void init(void) {
    real_pwrite64 = dlsym(RTLD_NEXT, "pwrite64");
    real_write = dlsym(RTLD_NEXT, "write");
    real_ftruncate64 = dlsym(RTLD_NEXT, "ftruncate64");
    real_fsync = dlsym(RTLD_NEXT, "fsync");
    real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
    real_fallocate64 = dlsym(RTLD_NEXT, "fallocate64");
    real_posix_fallocate64 = dlsym(RTLD_NEXT, "posix_fallocate64");
    watched = getenv("SPINDLE_POWERCUT_DIR");
    const char *path = getenv("SPINDLE_POWERCUT_JOURNAL");
    if (watched && path) {
        watched_len = strlen(watched);
        journal = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    }
}

/* The watched path fd refers to, in buf; 0 when it is not watched. */
static int watched_path(int fd, char *buf, size_t size) {
    if (journal < 0) return 0;
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, buf, size - 1);
    if (n <= 0) return 0;
    buf[n] = 0;
    if ((size_t)n <= watched_len || strncmp(buf, watched, watched_len) != 0 || buf[watched_len] != '/') return 0;
    if (n > 4 && strcmp(buf + n - 4, "-shm") == 0) return 0;
    return 1;
}

static void put(const void *bytes, size_t len) {
    const char *p = bytes;
    while (len > 0) {
        ssize_t n = real_write(journal, p, len);
        if (n <= 0) abort(); /* a journal that misses a change would make the replay lie */
        p += n;
        len -= (size_t)n;
    }
}

/* Appends a record; for 'W' and 'T' it reads the old bytes of [offset, offset + len) that exist. */
static void record(char type, const char *path, int fd, int64_t offset, int64_t len) {
    struct stat st;
    int64_t old_size = fstat(fd, &st) == 0 ? (int64_t)st.st_size : 0;
    uint32_t path_len = (uint32_t)strlen(path);
    uint32_t old_len = 0;
    char *old = NULL;
    if ((type == 'W' || type == 'T') && offset < old_size) {
        int64_t end = offset + len < old_size ? offset + len : old_size;
        old_len = (uint32_t)(end - offset);
        old = malloc(old_len ? old_len : 1);
        if (!old || pread(fd, old, old_len, offset) != (ssize_t)old_len) abort();
    }
    put(&type, 1);
    put(&path_len, 4);
    put(path, path_len);
    put(&offset, 8);
    put(&old_size, 8);
    put(&old_len, 4);
    if (old_len) put(old, old_len);
    free(old);
}

ssize_t pwrite64(int fd, const void *buf, size_t count, off_t offset) {
    char path[PATH_MAX];
    if (!watched_path(fd, path, sizeof path)) return real_pwrite64(fd, buf, count, offset);
    pthread_mutex_lock(&lock);
    record('W', path, fd, offset, (int64_t)count);
    ssize_t n = real_pwrite64(fd, buf, count, offset);
    pthread_mutex_unlock(&lock);
    return n;
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset) { return pwrite64(fd, buf, count, offset); }

ssize_t write(int fd, const void *buf, size_t count) {
    char path[PATH_MAX];
    if (!watched_path(fd, path, sizeof path)) return real_write(fd, buf, count);
    pthread_mutex_lock(&lock);
    off_t at = lseek(fd, 0, SEEK_CUR);
    record('W', path, fd, at, (int64_t)count);
    ssize_t n = real_write(fd, buf, count);
    pthread_mutex_unlock(&lock);
    return n;
}

int ftruncate64(int fd, off_t length) {
    char path[PATH_MAX];
    if (!watched_path(fd, path, sizeof path)) return real_ftruncate64(fd, length);
    pthread_mutex_lock(&lock);
    record('T', path, fd, length, INT64_MAX / 2);
    int r = real_ftruncate64(fd, length);
    pthread_mutex_unlock(&lock);
    return r;
}

int ftruncate(int fd, off_t length) { return ftruncate64(fd, length); }

int fallocate64(int fd, int mode, off_t offset, off_t len) {
    char path[PATH_MAX];
    if (!watched_path(fd, path, sizeof path)) return real_fallocate64(fd, mode, offset, len);
    pthread_mutex_lock(&lock);
    record('A', path, fd, offset, 0);
    int r = real_fallocate64(fd, mode, offset, len);
    pthread_mutex_unlock(&lock);
    return r;
}

int fallocate(int fd, int mode, off_t offset, off_t len) { return fallocate64(fd, mode, offset, len); }

int posix_fallocate64(int fd, off_t offset, off_t len) {
    char path[PATH_MAX];
    if (!watched_path(fd, path, sizeof path)) return real_posix_fallocate64(fd, offset, len);
    pthread_mutex_lock(&lock);
    record('A', path, fd, offset, 0);
    int r = real_posix_fallocate64(fd, offset, len);
    pthread_mutex_unlock(&lock);
    return r;
}

int posix_fallocate(int fd, off_t offset, off_t len) { return posix_fallocate64(fd, offset, len); }

static int synced(int fd, int (*sync)(int)) {
    char path[PATH_MAX];
    if (!watched_path(fd, path, sizeof path)) return sync(fd);
    pthread_mutex_lock(&lock);
    int r = sync(fd);
    if (r == 0) record('S', path, fd, 0, 0); /* only a sync that succeeded makes the changes before it durable */
    pthread_mutex_unlock(&lock);
    return r;
}

int fsync(int fd) { return synced(fd, real_fsync); }

int fdatasync(int fd) { return synced(fd, real_fdatasync); }

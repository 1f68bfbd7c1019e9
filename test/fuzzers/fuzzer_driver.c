/*
 * main() for fuzz targets in builds without libFuzzer: runs
 * LLVMFuzzerTestOneInput on every file named on the command line, and on
 * every file in every directory named. Prints how many inputs ran; a
 * crash is the failure signal, as with libFuzzer.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
__attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

static int run_file(const char* path) {
  FILE* f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    return -1;
  }
  size_t cap = 4096, size = 0;
  uint8_t* data = malloc(cap);
  size_t n;
  while (data && (n = fread(data + size, 1, cap - size, f)) > 0) {
    size += n;
    if (size == cap) {
      cap *= 2;
      uint8_t* bigger = realloc(data, cap);
      if (!bigger) {
        free(data);
        data = NULL;
      }
      data = bigger;
    }
  }
  fclose(f);
  if (!data)
    return -1;
  /* An exact-size copy so that ASan sees reads past the end. */
  uint8_t* exact = malloc(size ? size : 1);
  if (!exact) {
    free(data);
    return -1;
  }
  memcpy(exact, data, size);
  free(data);
  LLVMFuzzerTestOneInput(exact, size);
  free(exact);
  return 0;
}

static int compare_names(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}

static int run_path(const char* path, int* count) {
  struct stat st;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "cannot stat %s\n", path);
    return -1;
  }
  if (!S_ISDIR(st.st_mode)) {
    if (run_file(path) != 0)
      return -1;
    (*count)++;
    return 0;
  }
  struct dirent** entries;
  int n = scandir(path, &entries, NULL, NULL);
  if (n < 0)
    return -1;
  char** names = malloc(sizeof(char*) * (size_t)(n ? n : 1));
  int m = 0;
  for (int i = 0; i < n; i++) {
    if (names && entries[i]->d_name[0] != '.') {
      size_t len = strlen(path) + strlen(entries[i]->d_name) + 2;
      names[m] = malloc(len);
      if (names[m])
        snprintf(names[m++], len, "%s/%s", path, entries[i]->d_name);
    }
    free(entries[i]);
  }
  free(entries);
  if (!names)
    return -1;
  qsort(names, (size_t)m, sizeof(char*), compare_names);
  int rc = 0;
  for (int i = 0; i < m; i++) {
    if (run_path(names[i], count) != 0)
      rc = -1;
    free(names[i]);
  }
  free(names);
  return rc;
}

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize)
    LLVMFuzzerInitialize(&argc, &argv);
  int count = 0;
  int rc = 0;
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] == '-')
      continue; /* libFuzzer flags: ignored by the replay driver */
    if (run_path(argv[i], &count) != 0)
      rc = 1;
  }
  printf("%s: ran %d input(s)\n", argv[0], count);
  return rc;
}

{
  "targets": [
    {
      "target_name": "linux_fs",
      "sources": ["linux-fs.c", "file-md5.c"],
      "defines": ["_GNU_SOURCE", "NAPI_VERSION=8"],
      "libraries": ["-ldl", "-lpthread"]
    }
  ]
}

{
  "targets": [
    {
      "target_name": "linux_fs",
      "sources": ["linux-fs.c"],
      "defines": ["_GNU_SOURCE", "NAPI_VERSION=8"]
    }
  ]
}

{
  "targets": [
    {
      "target_name": "syncfs",
      "sources": ["syncfs.c"],
      "defines": ["_GNU_SOURCE", "NAPI_VERSION=8"]
    }
  ]
}

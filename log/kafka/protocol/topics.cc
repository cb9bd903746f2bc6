// placeholder: codecs to be written

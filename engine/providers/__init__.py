"""Model providers: the embedded offline default and the hosted ones, each a plugin behind the protocols."""

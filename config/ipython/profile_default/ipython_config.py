# IPython settings for `make lab`: edits to crm_analysis/ take effect without restarting the kernel.
c = get_config()  # noqa: F821
c.InteractiveShellApp.extensions = ["autoreload"]
c.InteractiveShellApp.exec_lines = ["%autoreload 2"]

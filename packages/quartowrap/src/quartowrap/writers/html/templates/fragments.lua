-- Batch converter used by quartowrap/html_site.py: one pandoc process renders every
-- page of the book, so the cost of starting pandoc is paid once per build, while each
-- document is still written on its own (footnotes and ids stay per page).
--
-- Input (stdin): one job per line, "<reader>\t<payload>".
--   reader "json":     payload is a pandoc JSON document.
--   reader "markdown": payload is a JSON string holding markdown text; raw HTML is
--                      switched off so text from metadata can never inject markup.
-- Output (stdout): a JSON array with one HTML5 fragment per job, in input order.

local writer_options = {
  section_divs = true,
  wrap_text = 'wrap-none',
  html_math_method = 'mathml',
}

local results = {}
for line in io.stdin:lines() do
  if line ~= '' then
    local tab = line:find('\t', 1, true)
    local reader = line:sub(1, tab - 1)
    local payload = line:sub(tab + 1)
    local doc
    if reader == 'json' then
      doc = pandoc.read(payload, 'json')
    else
      doc = pandoc.read(pandoc.json.decode(payload, false), 'markdown-raw_html-raw_attribute')
    end
    results[#results + 1] = pandoc.write(doc, 'html5', writer_options)
  end
end
io.stdout:write(pandoc.json.encode(results))
